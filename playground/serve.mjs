// The playground's demo page: playground/index.html with its placeholders filled in, the
// browser build of pusher-js at /pusher.min.js, and the package's client helper (dist/client,
// `directus-extension-realtime-pusher/client`) at /client/*.js. Used by `npm start` and the
// browser tests.
import { existsSync, readFileSync } from 'node:fs';
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

/** A module of the built client helper (`index`, `history`, ...), or null when there is none of that name. */
export function readClientModule(name) {
	const file = join(ROOT, 'dist', 'client', `${name}.js`);
	return /^\w+$/.test(name) && existsSync(file) ? readFileSync(file) : null;
}

/** An http.Server (not yet listening) that serves the demo page, /pusher.min.js and /client/*.js. */
export function createPlaygroundServer(options) {
	const page = renderPlaygroundPage(options);
	const pusherJs = readPusherJs();
	return createServer((req, res) => {
		const client = /^\/client\/(\w+)\.js$/.exec(req.url ?? '');
		if (req.url === '/pusher.min.js') {
			res.writeHead(200, { 'content-type': 'text/javascript' }).end(pusherJs);
		} else if (client) {
			const module = readClientModule(client[1]);
			if (module) res.writeHead(200, { 'content-type': 'text/javascript' }).end(module);
			else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found (npm run build makes dist/client)');
		} else {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
		}
	});
}
