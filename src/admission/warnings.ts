/** The API server asks for warnings under 120 characters each; longer ones are cut, not dropped. */
export const WARNING_MAX_LENGTH = 120;
/** More warnings than this are summarised in one last line. */
export const WARNING_MAX_COUNT = 10;

export function fitWarning(text: string): string {
  if (text.length <= WARNING_MAX_LENGTH) return text;
  return text.slice(0, WARNING_MAX_LENGTH - 3) + '...';
}

/**
 * `prefix` followed by as many items as fit under the limit, then `(+N more)`.
 * Used for lists of tolerations, which can be long.
 */
export function listWarning(prefix: string, items: readonly string[]): string {
  let text = prefix;
  for (let i = 0; i < items.length; i++) {
    const sep = i === 0 ? '' : ', ';
    const rest = items.length - i - 1;
    const tail = rest > 0 ? ` (+${rest} more)` : '';
    const candidate = text + sep + items[i];
    if ((candidate + tail).length > WARNING_MAX_LENGTH) {
      return fitWarning(`${text} (+${items.length - i} more)`);
    }
    text = candidate;
  }
  return fitWarning(text);
}

export function capWarnings(warnings: readonly string[]): string[] {
  const fitted = warnings.map(fitWarning);
  if (fitted.length <= WARNING_MAX_COUNT) return fitted;
  const kept = fitted.slice(0, WARNING_MAX_COUNT - 1);
  kept.push(`fleet-webhook: ${fitted.length - kept.length} more warnings not shown`);
  return kept;
}
