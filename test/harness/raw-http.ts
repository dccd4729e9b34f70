/**
 * A raw HTTP/1.1 client on a TCP socket, for what fetch cannot show: whether the server answered
 * while the client still had body to send, and bodies streamed chunk by chunk.
 */
import { connect } from 'node:net';

export interface RawRequest {
	url: string;
	method?: string;
	path: string;
	headers?: Record<string, string>;
	/** A body sent at once (with its Content-Length unless `headers` says otherwise). */
	body?: string;
	/**
	 * A body streamed in `chunkBytes` pieces, `totalBytes` in all: chunked encoding unless
	 * `headers` has a Content-Length. Sending stops as soon as the answer arrives.
	 */
	stream?: { totalBytes: number; chunkBytes?: number; fill?: string };
}

export interface RawResponse {
	status: number;
	headers: Record<string, string>;
	text: string;
	json: any;
	/** Body bytes the client had sent when the answer's head arrived. */
	sentBeforeAnswer: number;
	/** Body bytes the request would have sent in all. */
	bodyBytes: number;
}

export function rawRequest(request: RawRequest): Promise<RawResponse> {
	const { hostname, port } = new URL(request.url);
	const headers: Record<string, string> = { host: `${hostname}:${port}`, ...request.headers };
	const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
	const chunked = request.stream !== undefined && lower['content-length'] === undefined;
	if (chunked) headers['transfer-encoding'] = 'chunked';
	if (request.body !== undefined && lower['content-length'] === undefined && lower['transfer-encoding'] === undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
	const bodyBytes = request.stream?.totalBytes ?? Buffer.byteLength(request.body ?? '');

	return new Promise((resolve, reject) => {
		const socket = connect(Number(port), hostname);
		let received = Buffer.alloc(0);
		let sent = 0;
		let sentBeforeAnswer = -1;
		let settled = false;

		const parse = (final: boolean) => {
			const end = received.indexOf('\r\n\r\n');
			if (end < 0) {
				if (final && !settled) (settled = true), reject(new Error(`connection closed without an answer (${sent} bytes sent)`));
				return;
			}
			if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
			const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
			const head: Record<string, string> = {};
			for (const line of lines) {
				const at = line.indexOf(':');
				head[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
			}
			const body = received.subarray(end + 4);
			const length = head['content-length'] === undefined ? undefined : Number(head['content-length']);
			if (!final && (length === undefined || body.length < length)) return;
			if (settled) return;
			settled = true;
			const text = body.subarray(0, length ?? body.length).toString('utf8');
			let json: unknown;
			try {
				json = JSON.parse(text);
			} catch {
				json = undefined;
			}
			resolve({ status: Number(statusLine!.split(' ')[1]), headers: head, text, json, sentBeforeAnswer, bodyBytes });
			socket.destroy();
		};

		socket.on('data', (data: Buffer) => {
			received = Buffer.concat([received, data]);
			parse(false);
		});
		socket.on('end', () => parse(true));
		socket.on('close', () => parse(true));
		// Writes after the server closed fail with EPIPE / ECONNRESET: the answer is what counts.
		socket.on('error', () => parse(true));

		socket.on('connect', async () => {
			const head = `${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
				.map(([k, v]) => `${k}: ${v}\r\n`)
				.join('')}\r\n`;
			socket.write(head);
			if (request.body !== undefined) {
				socket.write(request.body);
				sent = Buffer.byteLength(request.body);
			}
			const stream = request.stream;
			if (!stream) return;
			const piece = Buffer.alloc(stream.chunkBytes ?? 64 * 1024, stream.fill ?? 'a');
			while (sent < stream.totalBytes && sentBeforeAnswer < 0 && !socket.destroyed) {
				const data = piece.subarray(0, Math.min(piece.length, stream.totalBytes - sent));
				const framed = chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data;
				const flushed = socket.write(framed);
				sent += data.length;
				if (!flushed) await new Promise((r) => socket.once('drain', r).once('close', r));
				// Let the answer in between two chunks.
				await new Promise((r) => setImmediate(r));
			}
			if (chunked && sent >= stream.totalBytes && !socket.destroyed) socket.write('0\r\n\r\n');
		});
	});
}
