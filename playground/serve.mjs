// The playground's demo page: playground/index.html with its placeholders filled in, and the
// browser build of pusher-js at /pusher.min.js. Used by `npm start` and the browser tests.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The demo page's HTML for a Directus URL (as the browser reaches it), app key and Soketi port. */
export function renderPlaygroundPage({ directusUrl, appKey, soketiPort }) {
	return readFileSync(join(ROOT, 'playground', 'index.html'), 'utf8')
		.replaceAll('__DIRECTUS_URL__', directusUrl)
		.replaceAll('__APP_KEY__', appKey)
		.replaceAll('__SOKETI_PORT__', String(soketiPort));
}

/** The browser build of pusher-js the page loads. */
export function readPusherJs() {
	return readFileSync(join(ROOT, 'node_modules', 'pusher-js', 'dist', 'web', 'pusher.min.js'));
}

/** An http.Server (not yet listening) that serves the demo page and /pusher.min.js. */
export function createPlaygroundServer(options) {
	const page = renderPlaygroundPage(options);
	const pusherJs = readPusherJs();
	return createServer((req, res) => {
		if (req.url === '/pusher.min.js') {
			res.writeHead(200, { 'content-type': 'text/javascript' }).end(pusherJs);
		} else {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
		}
	});
}
