/** What the publisher reads: items by primary key, through a reader the host supplies. */

export type PrimaryKey = string | number;
export type Item = Record<string, unknown>;
/** Items by String(primary key). */
export type ItemsByKey = Map<string, Item>;

export interface ItemReader {
	read(collection: string, keys: PrimaryKey[], fields: string[]): Promise<ItemsByKey>;
}

/** One key per distinct field set, whatever the order of its fields. */
export const fieldSetKey = (fields: string[]) => JSON.stringify([...fields].sort());
