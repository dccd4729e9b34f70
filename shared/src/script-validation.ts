/** Validation dependencies backed by the real sandbox and the Directus schema. */
import type { ValidationDeps } from './channels/validate.js';
import type { ScriptSandbox } from './sandbox/index.js';
import { SCRIPT_NAMES } from './scripts.js';
import { secretFieldNames, SECRET_USER_FIELDS, type SchemaLike } from './auth/redact.js';

export function scriptValidation(sandbox: ScriptSandbox, schema: { collections?: Record<string, unknown> } | null): ValidationDeps {
	return {
		checkScript: (source, kind) => sandbox.check(source, [...SCRIPT_NAMES[kind]]),
		collectionExists: (collection) => (schema?.collections ? collection in schema.collections : true),
		isSecretField: (name) => (SECRET_USER_FIELDS as readonly string[]).includes(name) || (schema ? secretFieldNames(schema as SchemaLike).has(name) : false),
	};
}
