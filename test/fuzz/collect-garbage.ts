/**
 * A full garbage collection in another Node process, through its inspector (started with
 * `--inspect=127.0.0.1:0`): so resident memory compared before and after a run is what the
 * process still holds, not garbage V8 has not got round to collecting yet.
 */

/** The inspectors a process' output announces ("Debugger listening on ws://..."). */
export function inspectorUrls(output: string): string[] {
	return [...output.matchAll(/Debugger listening on (ws:\/\/[^\s]+)/g)].map((m) => m[1]!);
}

/** The inspector among `urls` whose process runs a script whose URL contains `script`. */
export async function inspectorOf(urls: string[], script: string): Promise<string> {
	for (const url of urls) {
		const { host } = new URL(url);
		try {
			const targets = (await (await fetch(`http://${host}/json/list`)).json()) as Array<{ url: string; webSocketDebuggerUrl: string }>;
			const found = targets.find((t) => t.url.includes(script));
			if (found) return found.webSocketDebuggerUrl;
		} catch {
			// That process is gone, or not an inspector.
		}
	}
	throw new Error(`no inspector runs ${script} among ${urls.join(', ')}`);
}

/**
 * Runs HeapProfiler.collectGarbage `times` times in the inspected process; resolves with the
 * size of its JavaScript heap in use afterwards, in MB.
 */
export async function collectGarbage(webSocketUrl: string, times = 2): Promise<number> {
	const socket = new WebSocket(webSocketUrl);
	await new Promise<void>((resolve, reject) => {
		socket.addEventListener('open', () => resolve(), { once: true });
		socket.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${webSocketUrl}`)), { once: true });
	});
	try {
		const call = (id: number, method: string) =>
			new Promise<any>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method}`)), 60_000);
				const onMessage = (event: MessageEvent) => {
					const message = JSON.parse(String(event.data));
					if (message.id !== id) return;
					clearTimeout(timer);
					socket.removeEventListener('message', onMessage);
					resolve(message.result);
				};
				socket.addEventListener('message', onMessage);
				socket.send(JSON.stringify({ id, method }));
			});
		for (let id = 1; id <= times; id++) await call(id, 'HeapProfiler.collectGarbage');
		const usage = (await call(times + 1, 'Runtime.getHeapUsage')) as { usedSize: number };
		return usage.usedSize / 1024 / 1024;
	} finally {
		socket.close();
	}
}
