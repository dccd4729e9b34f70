/**
 * Names a script sees (context keys and host functions) become parameters of the function that
 * wraps it, so each must be a plain identifier; anything else is a programming error of the
 * caller, not of the admin's script, and is thrown as a TypeError.
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const RESERVED = new Set(
	(
		'await break case catch class const continue debugger default delete do else enum export extends false ' +
		'finally for function if implements import in instanceof interface let new null package private protected ' +
		'public return static super switch this throw true try typeof var void while with yield arguments eval __proto__ console'
	).split(' '),
);

export function assertScriptNames(names: readonly string[]): void {
	const seen = new Set<string>();
	for (const name of names) {
		if (!IDENTIFIER.test(name) || RESERVED.has(name)) {
			throw new TypeError(`"${name}" cannot be a script context name: it must be a plain JavaScript identifier`);
		}
		if (seen.has(name)) throw new TypeError(`"${name}" is given twice to the script (as context and as function?)`);
		seen.add(name);
	}
}
