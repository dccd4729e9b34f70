/**
 * Resident memory and CPU time of a process from /proc (Linux), for the benchmarks and the fuzz
 * suite. The harness runs each server under a supervisor (scripts/supervise.mjs) whose only
 * child is the server itself.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Pid of the first child of `parent`, from /proc/<pid>/stat (field 4 is the parent's pid). */
export function childPid(parent: number): number | undefined {
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			// The command name (field 2) is in parentheses and may hold spaces.
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[1]) === parent) return Number(entry);
		} catch {
			/* gone meanwhile */
		}
	}
	return undefined;
}

/** VmRSS and VmHWM (peak) of `pid` in MB. */
export function residentMemory(pid: number): { rssMb: number; peakMb: number } {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
	return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Samples the RSS of `pid` every `everyMs` until stopped; reports the start, peak and end. */
export function sampleMemory(pid: number, everyMs = 500) {
	const samples: number[] = [residentMemory(pid).rssMb];
	const timer = setInterval(() => {
		try {
			samples.push(residentMemory(pid).rssMb);
		} catch {
			/* process ended: the run will fail on its own */
		}
	}, everyMs);
	return {
		stop() {
			clearInterval(timer);
			samples.push(residentMemory(pid).rssMb);
			return { startMb: samples[0]!, peakMb: Math.max(...samples), endMb: samples[samples.length - 1]! };
		},
	};
}

/** CPU time (user + system, all threads) `pid` has used so far, in ms. */
export function cpuTimeMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime and stime are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
	return (Number(fields[11]) + Number(fields[12])) * 10;
}
