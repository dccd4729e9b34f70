// Runs one command in a process group of its own and ends that group when our stdin closes.
// The test process holds the other end of the pipe, so the group goes down with it even when
// the test process is killed outright (SIGKILL leaves no chance to clean up otherwise).
// SIGUSR2 kills the group outright (SIGKILL), as a crash would: no graceful shutdown.
// usage: node supervise.mjs <command> [args...]
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
let stopping = false;

function stopGroup() {
	if (stopping) return;
	stopping = true;
	try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
	setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
}

process.stdin.on('data', () => {});
process.stdin.on('end', stopGroup);
process.stdin.on('close', stopGroup);
process.on('SIGTERM', stopGroup);
process.on('SIGINT', stopGroup);
process.on('SIGUSR2', () => {
	stopping = true;
	try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
});
child.on('exit', (code, signal) => {
	if (signal && !stopping) console.error(`[supervise] ${command} was ended by ${signal}`);
	// The group may hold grandchildren; make sure none outlives the command.
	try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
	process.exit(code ?? (signal ? 1 : 0));
});
