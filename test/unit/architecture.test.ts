/**
 * The layout rules of the code, checked on its imports: shared/ is the Directus-agnostic core
 * behind one front door, its layers import one way, the bundle's entries meet only through it,
 * and no two modules share a name or declare the same name at their top level, exported or not.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { namesDeclaredTwice, type SourceText } from '../harness/declarations.js';
import { ROOT } from '../harness/paths.js';

const SHARED = join(ROOT, 'shared', 'src');
const ENTRIES = ['realtime-hooks', 'realtime-endpoints', 'realtime-operation', 'realtime-module'].map((name) => join(ROOT, name, 'src'));

function tsFiles(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
		.map((e) => join(e.parentPath, e.name));
}

function imports(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
}

/** shared/src's modules by layer: a module imports only from lower layers or its own folder. */
const LAYERS: Record<string, number> = {
	errors: 0,
	wire: 0,
	spaced: 0,
	config: 1,
	pusher: 2,
	host: 2,
	channels: 3,
	items: 3,
	sandbox: 3,
	history: 3,
	scripts: 4,
	delivery: 4,
	schema: 4,
	publisher: 5,
	auth: 5,
	webhooks: 5,
	// Composes the sandbox's compile check with auth's secret rules.
	'script-validation': 6,
	runtime: 6,
	admin: 6,
	http: 6,
	index: 7,
};

/**
 * Top-level names two modules may both declare, each with the reason. Empty: a name declared
 * twice is either one fact to keep in one place, or two facts that deserve two names.
 */
const DECLARED_TWICE_ON_PURPOSE = new Map<string, string>([]);

/** The layer name of a file under shared/src: its top folder, or its own name at the top. */
function layerOf(file: string): string {
	const [first, second] = relative(SHARED, file).split('/');
	return second === undefined ? basename(first!, '.ts') : first!;
}

describe('code layout', () => {
	it('keeps shared/ free of Directus\' extension API and of Express', () => {
		const offenders = tsFiles(SHARED).flatMap((file) =>
			imports(file)
				.filter((spec) => /^(@directus\/|directus$|express$)/.test(spec))
				.map((spec) => `${relative(ROOT, file)} imports ${spec}`),
		);
		assert.deepEqual(offenders, []);
	});

	it('has the entries use shared/ through its front door only, and not each other', () => {
		const offenders = ENTRIES.flatMap((dir) =>
			tsFiles(dir).flatMap((file) =>
				imports(file)
					.filter((spec) => spec.startsWith('@directus-realtime/shared/') || /(^|\/)shared\/src/.test(spec) || /realtime-(hooks|endpoints)/.test(spec) || (spec.startsWith('..') && !join(dirname(file), spec).startsWith(dir)))
					.map((spec) => `${relative(ROOT, file)} imports ${spec}`),
			),
		);
		assert.deepEqual(offenders, []);
	});

	it('has shared/ layers import one way', () => {
		const files = tsFiles(SHARED);
		for (const file of files) assert.ok(layerOf(file) in LAYERS, `${relative(ROOT, file)} belongs to no layer: add it to LAYERS`);
		const offenders = files.flatMap((file) => {
			const from = layerOf(file);
			return imports(file)
				.filter((spec) => spec.startsWith('.'))
				.map((spec) => join(dirname(file), spec).replace(/\.js$/, '.ts'))
				.filter((target) => {
					const to = layerOf(target);
					return to !== from && LAYERS[to]! >= LAYERS[from]!;
				})
				.map((target) => `${relative(ROOT, file)} (${from}) imports ${relative(ROOT, target)} (${layerOf(target)})`);
		});
		assert.deepEqual(offenders, []);
	});

	it('gives no two modules, and no two exported functions or classes, the same name', () => {
		const files = [...tsFiles(SHARED), ...ENTRIES.flatMap(tsFiles)];
		const byName = new Map<string, string[]>();
		for (const file of files.filter((f) => basename(f) !== 'index.ts')) byName.set(basename(file), [...(byName.get(basename(file)) ?? []), relative(ROOT, file)]);
		const folders = readdirSync(SHARED, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
		const exported = new Map<string, string[]>();
		for (const file of files) {
			for (const [, name] of readFileSync(file, 'utf8').matchAll(/^export (?:async )?(?:function|class) (\w+)/gm)) exported.set(name!, [...(exported.get(name!) ?? []), relative(ROOT, file)]);
		}
		assert.deepEqual([...byName].filter(([, where]) => where.length > 1), [], 'module file names');
		assert.deepEqual(folders.filter((a) => folders.some((b) => a !== b && b.startsWith(a))), [], 'folder names that read alike');
		assert.deepEqual([...exported].filter(([, where]) => where.length > 1), [], 'exported names');
	});

	it('declares every top-level name in one module only, exported or not', () => {
		// Vue views stay out: the top level of a `<script setup>` is one component's state.
		const sources: SourceText[] = [...tsFiles(SHARED), ...ENTRIES.flatMap(tsFiles)].map((file) => ({ path: relative(ROOT, file), text: readFileSync(file, 'utf8') }));
		assert.deepEqual(namesDeclaredTwice(sources, new Set(DECLARED_TWICE_ON_PURPOSE.keys())), []);
		const stale = [...DECLARED_TWICE_ON_PURPOSE.keys()].filter((name) => !namesDeclaredTwice(sources).some(([twice]) => twice === name));
		assert.deepEqual(stale, [], 'allowed duplicates that are no longer declared twice');
	});

	it('declares the one-way helpers once, exported or not: the admin check, the content type, the "log in first" refusal', () => {
		const files = [...tsFiles(SHARED), ...ENTRIES.flatMap(tsFiles)];
		const declared = new Map<string, string[]>();
		for (const file of files) {
			for (const [, name] of readFileSync(file, 'utf8').matchAll(/^(?:export )?(?:async )?(?:function|class|interface|type|const) (\w+)/gm)) declared.set(name!, [...(declared.get(name!) ?? []), relative(ROOT, file)]);
		}
		for (const name of ['requireAdmin', 'contentType', 'carriesCredential', 'encodedBody', 'readBodyFields', 'logInFirst', 'handOver', 'readRowSafely']) {
			assert.equal(declared.get(name)?.length, 1, `${name} is declared in ${JSON.stringify(declared.get(name) ?? [])}`);
		}
		const logInFirst = files.filter((file) => readFileSync(file, 'utf8').includes("'log in first")).map((f) => relative(ROOT, f));
		assert.deepEqual(logInFirst, ['shared/src/auth/http-errors.ts']);
	});

	it('has docs/architecture.md picture every layer of shared/ and every entry', () => {
		const picture = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
		const files = readdirSync(SHARED, { withFileTypes: true });
		for (const layer of Object.keys(LAYERS)) {
			const shown = files.find((e) => e.name === layer || e.name === `${layer}.ts`);
			assert.ok(shown, `${layer} is in LAYERS but not in shared/src`);
			const name = shown.isDirectory() ? `${layer}/` : `${layer}.ts`;
			assert.ok(picture.includes(name), `docs/architecture.md does not show ${name}`);
		}
		for (const entry of ENTRIES) assert.ok(picture.includes(basename(dirname(entry))), `docs/architecture.md does not show ${basename(dirname(entry))}`);
	});

	// (The sandbox's realm script removes globals inside the isolate: not the host's.)
	it('keeps one runtime per process in the bundle\'s module scope: no global symbol', () => {
		const files = [...tsFiles(SHARED), ...ENTRIES.flatMap(tsFiles), join(ROOT, 'dist', 'api.js')];
		const offenders = files.filter((file) => /Symbol\.for\(|globalThis as\b|globalThis\[[^\]]+\]\s*(\?\?|\|\|)?=(?!=)/.test(readFileSync(file, 'utf8'))).map((f) => relative(ROOT, f));
		assert.deepEqual(offenders, []);
	});

	it('turns on no process-wide async hooks: on Node 22 every promise of every Directus request would pay for them', () => {
		// An AsyncLocalStorage (or async_hooks.createHook) enables promise hooks for the whole
		// process; the socket id of a write goes by its accountability instead (request-context.ts).
		const files = [...tsFiles(SHARED), ...ENTRIES.flatMap(tsFiles), join(ROOT, 'dist', 'api.js')];
		const offenders = files.filter((file) => /\bAsyncLocalStorage\b|\bcreateHook\s*\(|\benterWith\s*\(/.test(readFileSync(file, 'utf8'))).map((f) => relative(ROOT, f));
		assert.deepEqual(offenders, []);
	});
});
