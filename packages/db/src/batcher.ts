export interface BatcherOptions {
  /** Most inputs one flush takes (default 500). */
  maxBatch?: number;
  /** Flushes in flight at once (default 2): more callers wait while they run. */
  concurrency?: number;
  /**
   * Whether a failed flush of several inputs is retried one input at a time, so one bad input
   * fails only its own caller (default: always). Return false for errors every input would
   * meet alike (a lost connection): then every caller of the flush gets the error at once.
   */
  splitOnError?: (err: unknown) => boolean;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for database statements. `call` queues one input; calls made while flushes
 * are in flight wait and go together in the next flush, so under load many callers share one
 * statement, while an idle caller is flushed at once (no added latency). `run` receives the
 * inputs in call order and must return one output per input, in the same order; it must be
 * all-or-nothing (one statement, or one transaction), since a failed flush may be re-run.
 */
export class Batcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private active = 0;
  private readonly maxBatch: number;
  private readonly concurrency: number;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.active += 1;
      void this.flush(batch).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async flush(batch: Waiting<I, O>[]): Promise<void> {
    let outputs: O[];
    try {
      outputs = await this.run(batch.map((w) => w.input));
    } catch (err) {
      if (batch.length === 1 || !(this.options.splitOnError?.(err) ?? true)) {
        for (const w of batch) w.reject(err);
        return;
      }
      for (const w of batch) {
        try {
          const [output] = await this.run([w.input]);
          w.resolve(output!);
        } catch (single) {
          w.reject(single);
        }
      }
      return;
    }
    if (outputs.length !== batch.length) {
      // A bug in the batch function: never re-run it (its statement did run).
      const err = new Error(`batch function returned ${outputs.length} results for ${batch.length} inputs`);
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => w.resolve(outputs[i]!));
  }
}
