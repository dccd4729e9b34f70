/** Child processes the tests start, each under supervise.mjs so none outlives the test run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SUPERVISOR = fileURLToPath(new URL('../../scripts/supervise.mjs', import.meta.url));
const OUTPUT_LIMIT = 256 * 1024;
const verbose = Boolean(process.env.RT_TEST_VERBOSE);

export interface ManagedProcess {
	readonly name: string;
	/** Pid of the supervisor (scripts/supervise.mjs); the command runs as its only child. */
	readonly pid: number | undefined;
	/** Last output of the process (stdout and stderr), for diagnostics. */
	output(): string;
	/** Resolves with the exit code once the process has ended. */
	readonly exited: Promise<number | null>;
	isRunning(): boolean;
	stop(): Promise<void>;
}

export function startProcess(
	name: string,
	command: string,
	args: string[],
	options: { env: NodeJS.ProcessEnv; cwd?: string; onOutput?: (chunk: string) => void },
): ManagedProcess {
	const child: ChildProcess = spawn(process.execPath, [SUPERVISOR, command, ...args], {
		env: options.env,
		cwd: options.cwd,
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let output = '';
	let running = true;
	const collect = (chunk: Buffer) => {
		output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
		options.onOutput?.(chunk.toString());
		if (verbose) process.stderr.write(`[${name}] ${chunk.toString()}`);
	};
	child.stdout?.on('data', collect);
	child.stderr?.on('data', collect);
	const exited = new Promise<number | null>((resolve) => {
		child.on('exit', (code) => {
			running = false;
			resolve(code);
		});
	});
	return {
		name,
		pid: child.pid,
		output: () => output,
		exited,
		isRunning: () => running,
		async stop() {
			if (!running) return;
			child.stdin?.end();
			await exited;
		},
	};
}

/** Runs a command to completion; rejects with its output when it fails. */
export async function runToEnd(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<string> {
	const p = startProcess(name, command, args, options);
	const code = await p.exited;
	if (code !== 0) throw new Error(`${name} failed with exit code ${code}:\n${p.output().slice(-4000)}`);
	return p.output();
}
