/**
 * Permission mode (a row with `authorize: permissions` and no authorizer script): who may join
 * is what Directus lets the caller read. One payload goes to every subscriber, so a caller joins
 * only when they may read every field the row sends, of every item the channel carries:
 *
 * - a pattern with a parameter named after the collection's primary key (`private-articles.:id`)
 *   carries that one item: Directus' own item check decides (the edge asks it, see read-access.ts);
 * - any other pattern carries the items whose fields equal its parameters (`private-articles`:
 *   all of them; `private-messages.user.:recipient`: those whose recipient is the value). Directus
 *   cannot be asked "every item matching this filter", so the caller's read permissions are judged
 *   here: only a permission whose item rule the channel's filter implies (none, or `field = value`
 *   clauses the channel fixes to the same value) counts, and those must grant every field sent.
 *   Anything more complex refuses: the safe side for a channel that would otherwise leak.
 *
 * The same pattern fills default publishing's channel name from an item (channels/permission-mode.ts).
 * Pure: the schema, the caller's permissions and Directus' answers come in as data.
 */
import { fieldReadsSecret } from './secret-reads.js';
import { isSecretAnywhere, type SchemaLike } from './redact.js';
import { isUuid } from '../items/types.js';

/** A read permission of the caller, as Directus processed it ($CURRENT_USER filled in). */
export interface ReadRule {
	policy?: string | null;
	fields: string[] | null;
	permissions: Record<string, unknown> | null;
}

/** What the channel of a name carries. */
export type ChannelScope =
	| { kind: 'item'; primaryKey: string; key: string }
	| { kind: 'items'; filter: Record<string, string> };

export type PermissionDecision =
	| { granted: true; scope: 'item' | 'items'; fields: string[]; reason: string }
	| { granted: false; reason: string; field?: string };

interface CollectionSchema {
	primary?: string;
	fields?: Record<string, { type?: string; special?: string[] | string | null }>;
}

export interface PermissionSchema extends SchemaLike {
	collections?: Record<string, (CollectionSchema & NonNullable<SchemaLike['collections']>[string]) | undefined>;
}

const refused = (reason: string, field?: string): PermissionDecision => ({ granted: false, reason, ...(field ? { field } : {}) });

function specialsOf(value: string[] | string | null | undefined): string[] {
	if (Array.isArray(value)) return value;
	return typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
}

/** The collection's fields `*` reads: every field with data, secrets left out (they are never sent). */
function readableFields(schema: PermissionSchema, collection: string): string[] {
	const fields = schema.collections?.[collection]?.fields ?? {};
	return Object.entries(fields)
		.filter(([name, field]) => !specialsOf(field?.special).includes('no-data') && !isSecretAnywhere(schema, name))
		.map(([name]) => name);
}

/**
 * The fields a row sends, `*` expanded, or why permission mode cannot judge them: relational
 * paths (`author.name`) and functions read other collections, which the check does not cover.
 */
export function sentFields(schema: PermissionSchema, collection: string, rowFields: readonly string[]): { fields: string[] } | { problem: string } {
	const known = schema.collections?.[collection]?.fields;
	if (!known) return { problem: `collection "${collection}" does not exist` };
	const sent = new Set<string>();
	for (const field of rowFields.length > 0 ? rowFields : ['*']) {
		if (field === '*') {
			readableFields(schema, collection).forEach((f) => sent.add(f));
			continue;
		}
		if (field.includes('.') || field.includes('(') || fieldReadsSecret(schema, field)) {
			return { problem: `field "${field}" is not a field of ${collection} itself: permission mode checks the collection's own fields; use an authorizer script for relational fields` };
		}
		if (!Object.hasOwn(known, field)) return { problem: `field "${field}" is not a field of ${collection}` };
		if (!isSecretAnywhere(schema, field)) sent.add(field);
	}
	return { fields: [...sent] };
}

const INTEGER_KEY_TYPES = new Set(['integer', 'bigInteger']);

/** What the channel named with `params` carries, or why it cannot be judged (a parameter that is no field). */
export function channelScope(schema: PermissionSchema, collection: string, params: Record<string, string>): ChannelScope | { problem: string } {
	const info = schema.collections?.[collection];
	if (!info?.fields) return { problem: `collection "${collection}" does not exist` };
	for (const name of Object.keys(params)) {
		if (!Object.hasOwn(info.fields, name)) return { problem: `parameter :${name} names no field of ${collection}` };
	}
	const primaryKey = info.primary;
	if (primaryKey && Object.hasOwn(params, primaryKey)) {
		const key = params[primaryKey]!;
		const type = info.fields[primaryKey]?.type;
		// A key its column cannot hold names no item (and would make PostgreSQL throw).
		if (type && INTEGER_KEY_TYPES.has(type) && !/^-?\d{1,19}$/.test(key)) return { problem: `"${key}" is not a ${collection} key` };
		if (type === 'uuid' && !isUuid(key)) return { problem: `"${key}" is not a ${collection} key` };
		return { kind: 'item', primaryKey, key };
	}
	return { kind: 'items', filter: { ...params } };
}

const same = (a: unknown, b: unknown) => (typeof a === 'string' || typeof a === 'number') && String(a) === String(b);

/**
 * Whether every item whose fields equal `filter` passes the item rule `rule`. Understood: no
 * rule, `_and` / `_or`, and `{ field: { _eq | _in } }`; anything else is "not implied".
 */
export function impliedBy(rule: unknown, filter: Record<string, string>, depth = 0): boolean {
	if (rule === null || rule === undefined) return true;
	if (typeof rule !== 'object' || Array.isArray(rule) || depth > 16) return false;
	const entries = Object.entries(rule as Record<string, unknown>);
	return entries.every(([key, value]) => {
		if (key === '_and') return Array.isArray(value) && value.every((part) => impliedBy(part, filter, depth + 1));
		if (key === '_or') return Array.isArray(value) && value.some((part) => impliedBy(part, filter, depth + 1));
		if (key.startsWith('_') || !Object.hasOwn(filter, key)) return false;
		if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
		const ops = Object.entries(value as Record<string, unknown>);
		return (
			ops.length > 0 &&
			ops.every(([op, operand]) => (op === '_eq' && same(operand, filter[key])) || (op === '_in' && Array.isArray(operand) && operand.some((o) => same(o, filter[key]))))
		);
	});
}

const describeRule = (rule: ReadRule) => (rule.policy ? `the read permission of policy ${rule.policy}` : 'a read permission');

/** The decision for a channel of items (no primary key in the name), from the caller's read permissions. */
export function decideItems(rules: readonly ReadRule[], filter: Record<string, string>, fields: readonly string[], collection: string): PermissionDecision {
	const what = Object.keys(filter).length === 0 ? `every item of ${collection}` : `every ${collection} item with ${Object.entries(filter).map(([k, v]) => `${k} = ${v}`).join(', ')}`;
	if (rules.length === 0) return refused(`no read permission on ${collection}`);
	const counting = rules.filter((rule) => impliedBy(rule.permissions && Object.keys(rule.permissions).length > 0 ? rule.permissions : null, filter));
	if (counting.length === 0) return refused(`the read permissions on ${collection} limit the items (an item rule this channel does not imply): not allowed to read ${what}`);
	const allowed = new Set(counting.flatMap((rule) => rule.fields ?? []));
	const missing = allowed.has('*') ? undefined : fields.find((field) => !allowed.has(field));
	if (missing !== undefined) return refused(`the read permissions on ${collection} that cover ${what} do not include field "${missing}"`, missing);
	return { granted: true, scope: 'items', fields: [...fields], reason: `${describeRule(counting[0]!)} on ${collection} covers ${what} with fields ${fields.join(', ')}` };
}
