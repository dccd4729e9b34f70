/**
 * Scripts as the docs print them, so a test runs the text a reader copies, not a copy of it.
 * A script is the code fence right after a marker line `<!-- <label> script: <name> -->`, e.g.
 * `<!-- recipe script: chat-authorizer -->` in docs/recipes.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const MARKER = /^<!--\s*([\w-]+) script:\s*([\w-]+)\s*-->\s*$/;
const FENCE = /^(```+|~~~+)/;

/** The marked scripts of one Markdown text with `label`, by name; throws on a marker without its fence or a name used twice. */
export function markedScripts(markdown: string, label: string, source = 'the document'): Map<string, string> {
	const lines = markdown.split(/\r?\n/);
	const scripts = new Map<string, string>();
	for (let i = 0; i < lines.length; i++) {
		const marker = MARKER.exec(lines[i]!.trim());
		if (!marker || marker[1] !== label) continue;
		const name = marker[2]!;
		const where = `${source}, line ${i + 1}`;
		if (scripts.has(name)) throw new Error(`${where}: the ${label} script "${name}" is marked twice`);
		const open = FENCE.exec(lines[i + 1] ?? '');
		if (!open) throw new Error(`${where}: the ${label} script marker "${name}" is not followed by a code fence`);
		const body: string[] = [];
		let j = i + 2;
		for (; j < lines.length && !lines[j]!.startsWith(open[1]!); j++) body.push(lines[j]!);
		if (j === lines.length) throw new Error(`${where}: the code fence of the ${label} script "${name}" is never closed`);
		scripts.set(name, body.join('\n'));
		i = j;
	}
	return scripts;
}

/**
 * The marked scripts of a Markdown file under the repository root; `script(name)` throws when the
 * file has no marker of that name, so a renamed or removed script fails the test that runs it.
 */
export function docScripts(path: string, label: string): { names: string[]; script(name: string): string } {
	const scripts = markedScripts(readFileSync(join(ROOT, path), 'utf8'), label, path);
	return {
		names: [...scripts.keys()],
		script(name) {
			const text = scripts.get(name);
			if (text === undefined) throw new Error(`${path} has no "<!-- ${label} script: ${name} -->" marker`);
			return text;
		},
	};
}
