/**
 * Turns an admin's script (the body of a function) into code each isolate can load, once per
 * content: syntax is checked and the result cached, least recently used first out.
 *
 * The script becomes `(function (name1, name2, ...) {\n<script>\n})`, compiled with a line offset
 * of -1, so V8's positions are the admin's own (line 1, column 1 is the script's first
 * character). A script without `await` compiles as a plain function (cheaper to call); one with
 * `await` as an async function. The same text is also given to the isolate's Function
 * constructor, which parses but does not run it, to refuse a body that closes the wrapper and
 * adds code of its own after it (`}); ...; (function () {`): such code would run outside the
 * run that is timed, and outside the frozen function.
 *
 * The cache is keyed by the source text itself, then by the names: a Map hashes a string by
 * content once and keeps the hash on the string, so a row's script costs no hashing per run (a
 * crypto hash would, every run), and equal scripts share one entry whatever row they come from.
 */
import type { Context, Isolate, Reference } from 'isolated-vm';
import type { IsolatedVmModule } from './engine.js';
import { type ScriptDiagnostic, ScriptSyntaxError } from './script-errors.js';
import { LruMap } from './lru.js';
import { assertScriptNames } from './identifiers.js';
import { SCRIPT_FILENAME } from './realm.js';

export type ScriptMode = 'sync' | 'async';

export interface CompiledScript {
	/** Unique per compiled entry; isolates register the script's function under it. */
	readonly id: number;
	/** The wrapped source an isolate compiles. */
	readonly code: string;
	readonly mode: ScriptMode;
	/** JSON of the parameter names, context names first. */
	readonly namesJson: string;
	/** JSON of booleans: which parameters are host functions. */
	readonly hostJson: string;
}

type CacheEntry = CompiledScript | { diagnostic: ScriptDiagnostic };

interface Checker {
	isolate: Isolate;
	context: Context;
	/** (names, body, isAsync) => null, or the message of the Function constructor's SyntaxError. */
	singleFunction: Reference;
}

// Evaluated inside the checker isolate, never in the host: the isolate's own Function
// constructor tells whether the admin's body parses as one function body.
const CHECKER_SOURCE = `
'use strict';
const AsyncFunction = (async function () {}).constructor;
return function singleFunction(names, body, isAsync) {
  try {
    Reflect.construct(isAsync ? AsyncFunction : Function, [...names, body]);
    return null;
  } catch (error) {
    return String(error && error.message);
  }
};
`;

/** Name sets kept per script; a caller passes the same names run after run, so a few suffice. */
const MAX_VARIANTS = 8;

const POSITION = /^(.*) \[script\.js:(\d+):(\d+)\]$/s;
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;

export class ScriptCompiler {
	/** Source text -> names ("context|functions") -> compiled script or syntax error. */
	private readonly cache: LruMap<string, Map<string, CacheEntry>>;
	private checker: Checker | undefined;
	private nextId = 0;

	constructor(
		private readonly engine: IsolatedVmModule,
		cacheSize: number,
		private readonly memoryMb: number,
	) {
		this.cache = new LruMap(cacheSize);
	}

	get size(): number {
		return this.cache.size;
	}

	/**
	 * The script compiled for these names (context names, then host function names, in the order
	 * the run will pass them). Throws ScriptSyntaxError, or TypeError for a name that is not an
	 * identifier.
	 */
	prepare(source: string, contextNames: readonly string[], functionNames: readonly string[]): CompiledScript {
		const shape = `${contextNames.join(',')}|${functionNames.join(',')}`;
		let variants = this.cache.get(source);
		if (variants === undefined) {
			variants = new Map();
			this.cache.set(source, variants);
		}
		let entry = variants.get(shape);
		if (entry === undefined) {
			entry = this.compile(source, contextNames, functionNames);
			if (variants.size >= MAX_VARIANTS) variants.delete(variants.keys().next().value as string);
			variants.set(shape, entry);
		}
		if ('diagnostic' in entry) throw new ScriptSyntaxError(entry.diagnostic);
		return entry;
	}

	/** Null when the script compiles with these names in scope; where it is wrong otherwise. Runs nothing. */
	check(source: string, names: readonly string[]): ScriptDiagnostic | null {
		try {
			this.prepare(source, names, []);
			return null;
		} catch (error) {
			if (error instanceof ScriptSyntaxError) return error.toDiagnostic();
			throw error;
		}
	}

	dispose(): void {
		this.checker?.isolate.dispose();
		this.checker = undefined;
		this.cache.clear();
	}

	private compile(source: string, contextNames: readonly string[], functionNames: readonly string[]): CacheEntry {
		const names = [...contextNames, ...functionNames];
		assertScriptNames(names);
		const checker = this.getChecker();
		let diagnostic: ScriptDiagnostic = { message: 'The script does not compile', line: 1, column: 1 };
		// Plain first: it only fails on `await` (or a real error, which the async attempt reports too).
		for (const mode of ['sync', 'async'] as const) {
			const code = wrapScript(source, names, mode);
			try {
				checker.isolate.compileScriptSync(code, { filename: SCRIPT_FILENAME, lineOffset: -1 }).release();
			} catch (error) {
				diagnostic = syntaxDiagnostic(error, source);
				continue;
			}
			const refused = checker.singleFunction.applySync(undefined, [[...names, CONSOLE_NAME], source, mode === 'async'], { arguments: { copy: true } });
			if (typeof refused === 'string') {
				return { diagnostic: { message: `${refused}: the script must not close the function it runs in (an extra "}"?)`, line: 1, column: 1 } };
			}
			return {
				id: ++this.nextId,
				code,
				mode,
				namesJson: JSON.stringify(names),
				hostJson: JSON.stringify(names.map((_, index) => index >= contextNames.length)),
			};
		}
		return { diagnostic };
	}

	private getChecker(): Checker {
		if (this.checker !== undefined && !this.checker.isolate.isDisposed) return this.checker;
		const isolate = new this.engine.Isolate({ memoryLimit: this.memoryMb });
		const context = isolate.createContextSync();
		const singleFunction = context.evalClosureSync(CHECKER_SOURCE, [], { result: { reference: true } }) as Reference;
		this.checker = { isolate, context, singleFunction };
		return this.checker;
	}
}

/** Every script's last parameter: its run's console (realm.ts). */
export const CONSOLE_NAME = 'console';

export function wrapScript(source: string, names: readonly string[], mode: ScriptMode): string {
	return `(${mode === 'async' ? 'async ' : ''}function (${[...names, CONSOLE_NAME].join(', ')}) {\n${source}\n})`;
}

/** V8's compile error, with its position clamped to the admin's script. */
function syntaxDiagnostic(error: unknown, source: string): ScriptDiagnostic {
	const text = error instanceof Error ? error.message : String(error);
	const match = POSITION.exec(text);
	if (match === null) return { message: text, line: 1, column: 1 };
	const lines = source.split(LINE_BREAK);
	let line = Number(match[2]);
	let column = Number(match[3]);
	if (line > lines.length) {
		// Reported on the wrapper's closing "})": the script ended too early (e.g. a missing "}").
		line = lines.length;
		column = (lines[lines.length - 1]?.length ?? 0) + 1;
		return { message: 'Unexpected end of input', line, column };
	}
	if (line < 1) {
		line = 1;
		column = 1;
	}
	return { message: match[1] ?? text, line, column };
}
