import type { FastifyReply } from 'fastify';

/** The JSON body of a Twilio REST error (the SDK turns it into a RestException). */
export function twilioErrorBody(status: number, code: number | null, message: string) {
  return { code, message, more_info: code === null ? null : `https://www.twilio.com/docs/errors/${code}`, status };
}

export function sendTwilioError(reply: FastifyReply, status: number, code: number | null, message: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', 'Basic realm="Twilio API"');
  return reply.code(status).type('application/json').send(twilioErrorBody(status, code, message));
}

export const notFound = (reply: FastifyReply, path: string): FastifyReply =>
  sendTwilioError(reply, 404, 20404, `The requested resource ${path} was not found`);
