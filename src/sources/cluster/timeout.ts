/**
 * `pending`, or a rejection with `message` after `ms`. The work itself is not cancelled: the client
 * library's calls take no signal, so a late answer is simply not waited for (or, where the caller
 * keeps `pending`, used when it comes).
 */
export function withTimeout<T>(pending: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
