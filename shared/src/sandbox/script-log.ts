/**
 * What a script writes with `console.log` (and `info`, `warn`, `error`, `debug`) in one run,
 * bounded: at most `lines` lines of at most `lineBytes` bytes each, `totalBytes` in all. Past a
 * bound the run gets one marker line and the script's further output is dropped (the realm
 * stops sending it once told the log is full). Dry-runs answer these lines; real runs write them
 * to Directus' log at debug level.
 */
import type { ScriptLogLevel, ScriptLogLine } from '../wire.js';

export type { ScriptLogLevel, ScriptLogLine };

export const SCRIPT_LOG_LIMITS = { lines: 100, lineBytes: 1024, totalBytes: 16 * 1024 } as const;

const LEVELS = new Set<string>(['log', 'info', 'warn', 'error', 'debug']);

export const SCRIPT_LOG_CUT = `[further output cut: a run keeps at most ${SCRIPT_LOG_LIMITS.lines} lines of ${SCRIPT_LOG_LIMITS.lineBytes} bytes, ${SCRIPT_LOG_LIMITS.totalBytes} bytes in all]`;

export class ScriptLog {
	readonly lines: ScriptLogLine[] = [];
	private bytes = 0;
	private full = false;
	/** What the host counted during the attempt (e.g. refused sends); forgotten with it, like its lines. */
	private readonly counts = new Map<string, number>();

	count(name: string): void {
		this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
	}

	counted(name: string): number {
		return this.counts.get(name) ?? 0;
	}

	/** Keeps a line; false once the log is full (the line was dropped or cut short). */
	write(level: string, text: string): boolean {
		if (this.full) return false;
		let message = clip(String(text), SCRIPT_LOG_LIMITS.lineBytes);
		const size = Buffer.byteLength(message);
		if (this.lines.length >= SCRIPT_LOG_LIMITS.lines || this.bytes + size > SCRIPT_LOG_LIMITS.totalBytes) {
			this.full = true;
			this.lines.push({ level: 'warn', message: SCRIPT_LOG_CUT });
			return false;
		}
		this.bytes += size;
		this.lines.push({ level: LEVELS.has(level) ? (level as ScriptLogLevel) : 'log', message });
		return true;
	}

	/** Forgets an abandoned attempt's lines: the run starts again and writes them again. */
	reset(): void {
		this.counts.clear();
		this.lines.length = 0;
		this.bytes = 0;
		this.full = false;
	}
}

/** At most `max` bytes of UTF-8, ending in "…" when cut. */
function clip(text: string, max: number): string {
	if (text.length <= max / 3 || Buffer.byteLength(text) <= max) return text;
	return `${Buffer.from(text).subarray(0, max - 3).toString('utf8').replace(/\uFFFD+$/, '')}…`;
}

/**
 * How many console lines of real runs reach Directus' log, per channel row and minute: a run is
 * bounded by SCRIPT_LOG_LIMITS, but an authorizer runs for every join request, so without this
 * any logged-in user could write to the log as fast as they can ask to join (at debug level).
 * Past the budget lines are counted; the first line of the next minute says how many were not
 * written.
 */
export class ConsoleBudget {
	private readonly windows = new Map<string, { start: number; used: number; suppressed: number }>();

	constructor(
		private readonly linesPerMinute = 200,
		private readonly now: () => number = Date.now,
	) {}

	/** The lines of one run that may be written now, preceded by a note of those suppressed before. */
	take(key: string, lines: readonly ScriptLogLine[]): ScriptLogLine[] {
		const now = this.now();
		let window = this.windows.get(key);
		const out: ScriptLogLine[] = [];
		if (window === undefined || now - window.start >= 60_000) {
			if (window && window.suppressed > 0) out.push({ level: 'warn', message: `${window.suppressed} console line(s) not written in the last minute (more than ${this.linesPerMinute})` });
			window = { start: now, used: 0, suppressed: 0 };
			this.windows.set(key, window);
			// Rows come and go: forget the ones quiet for a minute.
			if (this.windows.size > 1000) for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
		}
		const room = Math.max(0, this.linesPerMinute - window.used);
		out.push(...lines.slice(0, room));
		window.used += Math.min(room, lines.length);
		window.suppressed += Math.max(0, lines.length - room);
		return out;
	}
}
