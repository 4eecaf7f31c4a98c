import { useEffect, useState } from 'preact/hooks';

/** Hash routing (#/deliveries?status=failed): one page at /console, every view linkable. */

export interface Route { path: string; query: URLSearchParams }

const current = (): Route => {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path = '/overview', query = ''] = raw.split('?', 2);
  return { path, query: new URLSearchParams(query) };
};

export const navigate = (to: string): void => {
  location.hash = to;
};

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
