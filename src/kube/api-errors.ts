/** Reading the errors the client library throws (ApiException, or fetch's own). */

/** The HTTP status of a client-library error (ApiException's `code`), if it has one. */
export function errorStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  const status = e?.code ?? e?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** One line for logs: the status and the first line of the message (ApiException adds body and headers). */
export function errorMessage(err: unknown): string {
  const status = errorStatus(err);
  const e = err as { message?: string };
  const base = e?.message?.split('\n')[0] ?? String(err);
  return typeof status === 'number' ? `HTTP ${status}: ${base}` : base;
}

/** The object a read returns, or undefined when the API server answers 404; other errors are rethrown. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (errorStatus(err) === 404) return undefined;
    throw err;
  }
}
