/**
 * Captures one output stream of a sandboxed program up to a byte cap: the head
 * and the last few KiB are kept, the middle is read and discarded (the program
 * is never blocked on a full pipe), with a marker saying how much was dropped.
 */
const KiB = 1024;

export class StreamCapture {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer = Buffer.alloc(0);
  total = 0;

  constructor(
    private readonly cap: number,
    private readonly tailCap = Math.min(4 * KiB, Math.floor(cap / 4)),
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.cap) {
      const take = chunk.subarray(0, this.cap - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
    }
    if (this.tailCap > 0) {
      this.tail = chunk.length >= this.tailCap ? Buffer.from(chunk.subarray(chunk.length - this.tailCap)) : Buffer.concat([this.tail, chunk]).subarray(-this.tailCap);
    }
  }

  get truncated(): boolean {
    return this.total > this.cap;
  }

  /** Everything when under the cap; otherwise the head, a marker, and the last few KiB. */
  text(label: string): string {
    const head = Buffer.concat(this.head);
    if (!this.truncated) return head.toString('utf8');
    const keep = head.subarray(0, this.cap - this.tailCap);
    const omitted = this.total - keep.length - this.tail.length;
    return (
      keep.toString('utf8') +
      `\n[... ${omitted} bytes of ${label} omitted: output limit ${this.cap} bytes per stream, ${this.total} bytes produced ...]\n` +
      this.tail.toString('utf8')
    );
  }
}
