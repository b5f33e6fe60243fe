/** What the client sends to Temporal must fit what the server accepts. */
import { UserError } from './errors';

/**
 * Temporal refuses one payload above 2 MiB by default (the server's blob size limit; its gRPC
 * messages stop at 4 MiB): such an input is refused here, with the largest part named, instead
 * of failing at the server with a raw error.
 */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;

export function checkPayload(what: string, args: readonly unknown[]): void {
  const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
  const bytes = size(args);
  if (bytes <= MAX_PAYLOAD_BYTES) return;
  const first = args[0];
  const parts = first && typeof first === 'object' ? Object.entries(first as Record<string, unknown>).map(([k, v]) => [k, size(v)] as const) : [];
  const largest = parts.sort((a, b) => b[1] - a[1])[0];
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  throw new UserError(`${what} is ${mib(bytes)} as JSON${largest ? ` (largest part: ${largest[0]}, ${mib(largest[1])})` : ''}; Temporal refuses a payload over ${mib(MAX_PAYLOAD_BYTES)}`);
}
