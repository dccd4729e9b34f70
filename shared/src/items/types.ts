/** What the publisher reads: items by primary key, through a reader the host supplies. */

export type PrimaryKey = string | number;
export type Item = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a uuid, the key type of channel rows and Directus users. */
export function isUuid(value: string): boolean {
	return UUID.test(value);
}
/** Items by String(primary key). */
export type ItemsByKey = Map<string, Item>;

export interface ItemReader {
	read(collection: string, keys: PrimaryKey[], fields: string[]): Promise<ItemsByKey>;
}

/**
 * Keys already made, by the fields array they were made from: a channel row's `fields` is asked
 * for several times per event (grouping, merging reads, picking the read). Only frozen arrays
 * are remembered, so a key can never describe an array changed since.
 */
const keys = new WeakMap<readonly string[], string>();

/** One key per distinct field set, whatever the order of its fields. */
export function fieldSetKey(fields: readonly string[]): string {
	const known = keys.get(fields);
	if (known !== undefined) return known;
	const key = JSON.stringify([...fields].sort());
	if (Object.isFrozen(fields)) keys.set(fields, key);
	return key;
}
