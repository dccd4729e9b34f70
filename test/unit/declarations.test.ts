/**
 * The duplicate check behind the layout test's "declared in one module only": it sees names a
 * module keeps to itself, not only exported ones, and not text inside strings or comments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namesDeclaredTwice, topLevelNames } from '../harness/declarations.js';

describe('top-level declarations', () => {
	it('lists functions, classes, interfaces, types, enums, consts and destructured names, exported or not', () => {
		const text = [
			'function requireAdmin() {}',
			'export async function logInFirst() {}',
			'class Queue {}',
			'interface Accountability { user: string }',
			'export type ChannelType = string;',
			'enum Level { A }',
			'const contentType = 1, { a, b: [c] } = {} as any;',
			'export let counter = 0;',
			'export default function () {}',
		].join('\n');
		assert.deepEqual(topLevelNames({ path: 'a.ts', text }).sort(), ['Accountability', 'ChannelType', 'Level', 'Queue', 'a', 'c', 'contentType', 'counter', 'logInFirst', 'requireAdmin']);
	});

	it('counts overloads once and skips nested declarations, strings and comments', () => {
		const text = [
			'function read(a: string): string;',
			'function read(a: number): number;',
			'function read(a: unknown) { const inner = 1; return a; }',
			'const realm = `',
			'function describe(error) {}',
			'`;',
			'// function commented() {}',
		].join('\n');
		assert.deepEqual(topLevelNames({ path: 'a.ts', text }), ['read', 'realm']);
	});

	it('fails on a helper that two modules declare without exporting it', () => {
		const sources = [
			{ path: 'realtime-endpoints/src/routes.ts', text: 'function requireAdmin(req: unknown) { return req; }\nexport const route = 1;' },
			{ path: 'shared/src/auth/caller.ts', text: 'export function requireAdmin(caller: unknown) { return caller; }' },
			{ path: 'realtime-hooks/src/auth-gate.ts', text: 'type Accountability = { user: string };\nconst contentType = (h: string) => h;' },
			{ path: 'shared/src/http/early-http.ts', text: 'export interface Accountability { user: string }\nexport function contentType(h: string) { return h; }' },
		];
		assert.deepEqual(namesDeclaredTwice(sources), [
			['Accountability', ['realtime-hooks/src/auth-gate.ts', 'shared/src/http/early-http.ts']],
			['contentType', ['realtime-hooks/src/auth-gate.ts', 'shared/src/http/early-http.ts']],
			['requireAdmin', ['realtime-endpoints/src/routes.ts', 'shared/src/auth/caller.ts']],
		]);
	});

	it('leaves out the names allowed to be declared twice, and only those', () => {
		const sources = [
			{ path: 'a.ts', text: 'const MAX = 1;\nconst Entry = 2;' },
			{ path: 'b.ts', text: 'const MAX = 3;\nconst Entry = 4;' },
		];
		assert.deepEqual(namesDeclaredTwice(sources, new Set(['MAX'])), [['Entry', ['a.ts', 'b.ts']]]);
	});

	it('finds nothing in modules that share no name', () => {
		assert.deepEqual(namesDeclaredTwice([{ path: 'a.ts', text: 'const one = 1;' }, { path: 'b.ts', text: 'const two = 2;' }]), []);
	});
});
