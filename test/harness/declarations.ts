/**
 * The names a module declares at its top level, exported or not (functions, classes, interfaces,
 * types, enums, consts and lets), read with TypeScript's parser: code inside strings (the
 * sandbox's realm script) and comments is not mistaken for declarations.
 */
import ts from 'typescript';

export interface SourceText {
	/** Shown in reports; one module per path. */
	path: string;
	text: string;
}

function bindingNames(name: ts.BindingName): string[] {
	if (ts.isIdentifier(name)) return [name.text];
	return name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : bindingNames(element.name)));
}

/** The top-level names of one module, each once (overloads and declaration merging count once). */
export function topLevelNames(source: SourceText): string[] {
	const file = ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
	const names = new Set<string>();
	for (const statement of file.statements) {
		if (ts.isVariableStatement(statement)) {
			for (const declaration of statement.declarationList.declarations) for (const name of bindingNames(declaration.name)) names.add(name);
		} else if (
			ts.isFunctionDeclaration(statement) ||
			ts.isClassDeclaration(statement) ||
			ts.isInterfaceDeclaration(statement) ||
			ts.isTypeAliasDeclaration(statement) ||
			ts.isEnumDeclaration(statement)
		) {
			if (statement.name) names.add(statement.name.text);
		}
	}
	return [...names];
}

/**
 * Names declared at the top level of two or more modules, with the modules, sorted by name;
 * names in `allowed` are left out.
 */
export function namesDeclaredTwice(sources: readonly SourceText[], allowed: ReadonlySet<string> = new Set()): Array<[name: string, paths: string[]]> {
	const where = new Map<string, string[]>();
	for (const source of sources) for (const name of topLevelNames(source)) where.set(name, [...(where.get(name) ?? []), source.path]);
	return [...where]
		.filter(([name, paths]) => paths.length > 1 && !allowed.has(name))
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
