/**
 * A run's progress on stderr while `mas2 run` follows it. Every event is a
 * line of its own (the team, each finished call, each rectification, each
 * finished agent, the answer as soon as the final agent has one). On a
 * terminal a status line under them says who is working on which model, the
 * tokens and spend so far and the time since start, redrawn every second; where
 * stderr is not a terminal (a log, CI, a pipe) no escape code is written and
 * the status becomes a plain line whenever the working set changes.
 */
import type { Pool, Result } from '../mas/schemas';
import { answerSoFar, liveLine, workingNow } from '../mas/progress';
import { rectificationLine, stepLine } from './format';
// Model text reaches this display: its control characters are shown, never sent (one rule for every printer).
import { oneLine as visibleLine, printable } from './terminal';

export interface DisplayOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Prefix of every line (the CLI's `mas2: `). */
  prefix?: string;
  /** The run's pool, to name the meta-agents' backbones before the team exists. */
  pool?: Pool;
  /** Override the terminal check (tests). */
  live?: boolean;
  now?: () => number;
}

export function isLiveTerminal(stream: DisplayOptions['stream'], env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export class ProgressDisplay {
  private steps = 0;
  private rects = 0;
  private configShown = 0;
  private readonly finished = new Set<string>();
  private answerKey = '';
  private workingKey = '';
  private status = '';
  /** The status line is on the screen now. */
  private drawn = false;
  /** Inside update(): event lines go out first, the status is drawn once at the end. */
  private batching = false;
  private last: Result | undefined;
  private readonly started: number;
  private readonly live: boolean;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: DisplayOptions) {
    this.live = o.live ?? isLiveTerminal(o.stream);
    this.started = (o.now ?? Date.now)();
    this.timer = this.live ? setInterval(() => this.redraw(), 1000) : undefined;
    this.timer?.unref();
  }

  /** A line that stays (above the status line on a terminal). */
  line(text: string): void {
    this.clearStatus();
    this.o.stream.write(`${this.o.prefix ?? ''}${visibleLine(text)}\n`);
    if (!this.batching) this.drawStatus();
  }

  /** Shows what is new in this snapshot of the result document. */
  update(r: Result): void {
    this.batching = true;
    try {
      this.show(r);
    } finally {
      this.batching = false;
    }
    if (this.live) this.redraw();
  }

  private show(r: Result): void {
    this.last = r;
    if (r.config && r.config.version !== this.configShown && r.rectifications.length === 0) {
      this.configShown = r.config.version;
      this.line(`team "${r.config.template.name}": ${r.config.template.agents.map((a) => `${a.id} (${a.role}) on ${r.config!.assignment[a.id]}`).join(', ')}`);
    }
    for (const s of r.steps.slice(this.steps)) this.line(stepLine(s));
    this.steps = r.steps.length;
    for (const x of r.rectifications.slice(this.rects)) this.line(rectificationLine(x));
    this.rects = r.rectifications.length;
    for (const [id, out] of Object.entries(r.outputs)) {
      const key = `${id}@${out.inputsKey}`;
      if (this.finished.has(key)) continue;
      this.finished.add(key);
      this.line(`[${id}] finished (${out.chars ?? out.text.length} chars of output)`);
    }
    const answer = r.status === 'running' ? answerSoFar(r) : null;
    if (answer && answer.key !== this.answerKey) {
      this.answerKey = answer.key;
      this.line(`answer (from ${answer.agent}): ${oneLine(answer.text, 200)}`);
    }
    if (this.live) return;
    const working = workingNow(r, this.o.pool);
    const key = working.map((w) => `${w.agent}@${w.backbone ?? ''}`).join(',');
    if (key && key !== this.workingKey) this.line(`working: ${liveLine(r, working, this.elapsed())}`);
    this.workingKey = key;
  }

  /** Removes the status line (call before the answer and the summary are written). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearStatus();
    this.status = '';
  }

  private elapsed(): number {
    return (this.o.now ?? Date.now)() - this.started;
  }

  private redraw(): void {
    if (!this.live || !this.last || this.last.status !== 'running') return;
    this.clearStatus();
    const width = Math.max(20, (this.o.stream.columns || 100) - 1);
    this.status = oneLine(`${this.o.prefix ?? ''}${liveLine(this.last, workingNow(this.last, this.o.pool), this.elapsed())}`, width);
    this.drawStatus();
  }

  private clearStatus(): void {
    // Carriage return + erase line: only ever written to a terminal.
    if (this.drawn) this.o.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private drawStatus(): void {
    if (!this.live || !this.status || this.drawn) return;
    this.o.stream.write(this.status);
    this.drawn = true;
  }
}

function oneLine(text: string, max: number): string {
  const line = printable(text.replace(/\s+/g, ' ').trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
