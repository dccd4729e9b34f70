/**
 * Scripts read from the docs by their markers: a test runs the page's own text, and a marker
 * that lost its code, a name used twice or a script the page no longer has fails loudly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { docScripts, markedScripts } from '../harness/doc-scripts.js';

const page = [
	'# Recipes',
	'',
	'Authorizer:',
	'',
	'<!-- recipe script: chat-authorizer -->',
	'```js',
	"if (!(await can('read', 'chat_messages'))) return false;",
	'return true;',
	'```',
	'',
	'<!-- other script: elsewhere -->',
	'```js',
	'return 1;',
	'```',
	'',
	'```js',
	'// not marked: a client snippet',
	'```',
].join('\n');

describe('scripts read from the docs', () => {
	it('takes the code fence right after each marker of its label, as printed', () => {
		assert.deepEqual([...markedScripts(page, 'recipe')], [['chat-authorizer', "if (!(await can('read', 'chat_messages'))) return false;\nreturn true;"]]);
		assert.deepEqual([...markedScripts(page, 'other')], [['elsewhere', 'return 1;']]);
	});

	it('refuses a name marked twice', () => {
		const twice = `${page}\n\n<!-- recipe script: chat-authorizer -->\n\`\`\`js\nreturn false;\n\`\`\`\n`;
		assert.throws(() => markedScripts(twice, 'recipe', 'docs/x.md'), /docs\/x\.md, line 20: the recipe script "chat-authorizer" is marked twice/);
	});

	it('refuses a marker not followed by a code fence, and a fence never closed', () => {
		assert.throws(() => markedScripts('<!-- recipe script: lost -->\n\nSome text.\n', 'recipe'), /"lost" is not followed by a code fence/);
		assert.throws(() => markedScripts('<!-- recipe script: open -->\n```js\nreturn 1;\n', 'recipe'), /"open" is never closed/);
	});

	it('throws for a script the page does not mark', () => {
		const recipes = docScripts('docs/recipes.md', 'recipe');
		assert.throws(() => recipes.script('no-such-recipe'), /docs\/recipes\.md has no "<!-- recipe script: no-such-recipe -->" marker/);
	});

	it('finds the scripts of docs/recipes.md', () => {
		assert.deepEqual(docScripts('docs/recipes.md', 'recipe').names, ['chat-authorizer', 'chat-publisher', 'poll-publisher', 'counter-publisher', 'config-publisher', 'online-authorizer']);
	});
});
