/**
 * Secrets never reach a script or a client, whatever fields are asked for and however deep the
 * relations go. Pure: the rules come from the Directus schema handed in.
 *
 * A field is secret when Directus conceals, hashes or encrypts it (its `special` includes
 * `conceal`, `hash`, `encrypt` or `encrypted`: passwords, static tokens, 2FA secrets, share passwords, API
 * keys, any such field of any collection), and on `directus_users` the four named below whatever the schema says
 * (`auth_data`, the SSO provider's refresh tokens, has no `special` at all). Rows are walked
 * along the schema's relations (m2o, o2m, m2a); where the walk cannot tell which collection an
 * object belongs to, every name that is secret in any collection is removed.
 */

/** Secrets of `directus_users` that never leave, whatever the schema says. */
export const SECRET_USER_FIELDS = ['password', 'tfa_secret', 'token', 'auth_data'] as const;

const USERS = 'directus_users';
/**
 * `encrypt`: Directus 12 stores such fields encrypted and decrypts them for reads made without
 * accountability, as the bundle's are (settings' AI API keys, license key and token, deployment
 * credentials, and any field an administrator gives the special). `encrypted` is kept for
 * schemas that spell it so.
 */
export const SECRET_SPECIALS: readonly string[] = ['conceal', 'hash', 'encrypt', 'encrypted'];
/** Deeper than Directus reads relations (MAX_RELATIONAL_DEPTH, 10 by default): cut, not walked. */
const MAX_DEPTH = 32;

export interface SchemaLike {
	collections?: Record<string, { fields?: Record<string, { type?: string; special?: string[] | string | null }> } | undefined>;
	relations?: Array<{
		collection: string;
		field: string;
		related_collection: string | null;
		meta?: { one_field?: string | null; one_collection_field?: string | null; one_allowed_collections?: string[] | null } | null;
	}>;
}

interface Relation {
	targets: string[];
	/** m2a: the field of the same row that names the target collection. */
	selector?: string;
}

interface CollectionRules {
	secrets: Set<string>;
	/** Fields stored in the row itself (not relations, not aliases): their values are data. */
	columns: Set<string>;
	relations: Map<string, Relation>;
	/** The columns that are not secret (storedFields), made on first use. */
	stored?: readonly string[];
	/** The fields that are not columns (aliasFields), made on first use. */
	aliases?: readonly string[];
	/** Every field name of the collection in the schema. */
	names: readonly string[];
}

function specials(value: string[] | string | null | undefined): string[] {
	if (Array.isArray(value)) return value;
	return typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
}

function isSecretSpecial(special: string[] | string | null | undefined): boolean {
	if (special === null || special === undefined) return false;
	return specials(special).some((s) => SECRET_SPECIALS.includes(s));
}

/** Adds the names of `fields` that Directus conceals, hashes or encrypts. */
function addSecrets(to: Set<string>, fields: Record<string, { special?: string[] | string | null } | undefined>): void {
	for (const name in fields) {
		if (Object.hasOwn(fields, name) && isSecretSpecial(fields[name]?.special)) to.add(name);
	}
}

/** Per schema object, computed per collection on first use. */
class SchemaRules {
	private readonly byCollection = new Map<string, CollectionRules | null>();
	private anywhere: Set<string> | undefined;

	constructor(private readonly schema: SchemaLike) {}

	of(collection: string): CollectionRules | null {
		let rules = this.byCollection.get(collection);
		if (rules === undefined) {
			rules = this.compute(collection);
			this.byCollection.set(collection, rules);
		}
		return rules;
	}

	/**
	 * Every name that is secret in some collection: for objects whose collection is unknown, and
	 * for the checks of field requests. Only the fields are walked (not the relations, which the
	 * rules of each collection also need): it is asked once per schema object, and Directus hands
	 * each request its own copy.
	 */
	secretAnywhere(): Set<string> {
		if (!this.anywhere) {
			const anywhere = new Set<string>(SECRET_USER_FIELDS);
			const collections = this.schema.collections ?? {};
			for (const name in collections) {
				if (!Object.hasOwn(collections, name)) continue;
				const fields = collections[name]?.fields;
				if (fields) addSecrets(anywhere, fields);
			}
			this.anywhere = anywhere;
		}
		return this.anywhere;
	}

	/** secretAnywhere() when it has been made for this schema object, else undefined. */
	secretAnywhereIfMade(): ReadonlySet<string> | undefined {
		return this.anywhere;
	}

	private compute(collection: string): CollectionRules | null {
		const info = this.schema.collections?.[collection];
		if (!info) return null;
		const secrets = new Set<string>(collection === USERS ? SECRET_USER_FIELDS : []);
		const columns = new Set<string>();
		const fields = info.fields ?? {};
		addSecrets(secrets, fields);
		for (const name in fields) {
			if (Object.hasOwn(fields, name) && fields[name]?.type !== 'alias') columns.add(name);
		}
		const relations = new Map<string, Relation>();
		const add = (field: string, relation: Relation) => {
			const known = relations.get(field);
			relations.set(field, known ? { targets: [...new Set([...known.targets, ...relation.targets])] } : relation);
		};
		for (const r of this.schema.relations ?? []) {
			if (r.collection === collection) {
				if (r.related_collection) add(r.field, { targets: [r.related_collection] });
				else if (r.meta?.one_allowed_collections?.length) {
					add(r.field, { targets: r.meta.one_allowed_collections, ...(r.meta.one_collection_field ? { selector: r.meta.one_collection_field } : {}) });
				}
			}
			if (r.related_collection === collection && r.meta?.one_field) add(r.meta.one_field, { targets: [r.collection] });
		}
		return { secrets, columns, relations, names: Object.keys(fields) };
	}
}

const rulesBySchema = new WeakMap<object, SchemaRules>();

function rulesFor(schema: SchemaLike): SchemaRules {
	let rules = rulesBySchema.get(schema);
	if (!rules) {
		rules = new SchemaRules(schema);
		rulesBySchema.set(schema, rules);
	}
	return rules;
}

/** Candidate collections of an object; null when unknown (then every secret name goes). */
type Context = string[] | null;
const DATA = Symbol('data');

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (value === null || typeof value !== 'object') return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

function isSecret(rules: SchemaRules, context: Context, field: string): boolean {
	if (context === null) return rules.secretAnywhere().has(field);
	return context.some((collection) => {
		const of = rules.of(collection);
		return of ? of.secrets.has(field) : rules.secretAnywhere().has(field);
	});
}

/** Where the value of `field` of `row` belongs: related collections, unknown, or the row's own data. */
function relatedTo(rules: SchemaRules, context: Context, field: string, row: Record<string, unknown>): Context | typeof DATA {
	if (context === null) return null;
	const targets = new Set<string>();
	let data = true;
	for (const collection of context) {
		const of = rules.of(collection);
		if (!of) return null;
		const relation = of.relations.get(field);
		if (relation) {
			data = false;
			const chosen = relation.selector ? row[relation.selector] : undefined;
			if (typeof chosen === 'string' && relation.targets.includes(chosen)) targets.add(chosen);
			else relation.targets.forEach((t) => targets.add(t));
		} else if (!of.columns.has(field)) {
			// An alias without a relation, a renamed field, a function result: not known.
			return null;
		}
	}
	if (data) return DATA;
	return targets.size > 0 ? [...targets] : null;
}

function walk(rules: SchemaRules, context: Context, value: unknown, depth: number): unknown {
	if (value === null || typeof value !== 'object') return value;
	if (depth > MAX_DEPTH) return null;
	if (Array.isArray(value)) return value.map((v) => walk(rules, context, v, depth + 1));
	if (!isPlainObject(value)) return value;
	const out: Record<string, unknown> = {};
	for (const [field, v] of Object.entries(value)) {
		if (isSecret(rules, context, field)) continue;
		if (v === null || typeof v !== 'object') {
			out[field] = v;
			continue;
		}
		const related = relatedTo(rules, context, field, value);
		out[field] = related === DATA ? v : walk(rules, related, v, depth + 1);
	}
	return out;
}

/**
 * An item (or a list of items) of `collection` as read, with every secret field removed at any
 * depth. Returns copies; the input is not changed.
 */
export function redactItem<T>(schema: SchemaLike, collection: string, value: T): T {
	const rules = rulesFor(schema);
	return walk(rules, rules.of(collection) ? [collection] : null, value, 0) as T;
}

/**
 * The fields of `collection` stored in its rows, secrets left out: what `*` reads without the
 * relational (o2m, m2m, m2a) and presentation aliases, each of which costs a read of its own.
 * null when the schema does not know the collection.
 */
export function storedFields(schema: SchemaLike, collection: string): readonly string[] | null {
	const rules = rulesFor(schema).of(collection);
	if (!rules) return null;
	return (rules.stored ??= Object.freeze([...rules.columns].filter((field) => !rules.secrets.has(field))));
}

/** The fields of `collection` that are not stored in its rows (aliases: o2m, m2m, m2a, presentation); [] for an unknown collection. */
export function aliasFields(schema: SchemaLike, collection: string): readonly string[] {
	const rules = rulesFor(schema).of(collection);
	if (!rules) return [];
	return (rules.aliases ??= Object.freeze(rules.names.filter((field) => !rules.columns.has(field))));
}

/** Every field name that is secret in some collection of the schema (and the four of users). */
export function secretFieldNames(schema: SchemaLike): ReadonlySet<string> {
	return rulesFor(schema).secretAnywhere();
}

/**
 * Whether `name` is secret in some collection of the schema (or one of the four of users):
 * `secretFieldNames(schema).has(name)`, looked up in each collection when the whole set is not
 * made for this schema object (a few names of one request need no walk of every field).
 */
export function isSecretAnywhere(schema: SchemaLike, name: string): boolean {
	const made = rulesBySchema.get(schema)?.secretAnywhereIfMade();
	if (made) return made.has(name);
	if ((SECRET_USER_FIELDS as readonly string[]).includes(name)) return true;
	const collections = schema.collections ?? {};
	for (const collection in collections) {
		if (!Object.hasOwn(collections, collection)) continue;
		const fields = collections[collection]?.fields;
		if (fields && Object.hasOwn(fields, name) && isSecretSpecial(fields[name]?.special)) return true;
	}
	return false;
}

/** A user row without its secrets, when no schema is at hand (the named fields only). */
export function redactUser<T extends Record<string, unknown>>(user: T): Omit<T, (typeof SECRET_USER_FIELDS)[number]> {
	const copy: Record<string, unknown> = { ...user };
	for (const field of SECRET_USER_FIELDS) delete copy[field];
	return copy as Omit<T, (typeof SECRET_USER_FIELDS)[number]>;
}
