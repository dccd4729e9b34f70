/**
 * Start-up failures (a malformed RT_* value, no isolated-vm): the extension cannot work, and
 * running Directus half-configured would hide it. The server start stops with one clear line;
 * CLI commands (bootstrap, migrations) still run, so the project can be repaired.
 */
import type { RegisterFunctions } from '@directus/types';

export function stopServerStart(
	init: RegisterFunctions['init'],
	logger: { error(message: string): void; fatal?(message: string): void },
	extension: string,
	error: Error,
): void {
	const message = `${extension}: cannot start: ${error.message}`;
	logger.error(message);
	init('app.before', () => {
		(logger.fatal ?? logger.error).call(logger, message);
		process.exit(1);
	});
}
