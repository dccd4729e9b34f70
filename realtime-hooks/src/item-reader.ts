/**
 * Reads items with Directus' ItemsService, as the system (full access, relations resolved), and
 * hands them on without any secret field at any depth: publishers ask for `*.*` and relations to
 * users, and a system read returns a user's auth_data as stored.
 */
import type { Knex } from 'knex';
import { coalescedReader, fieldReadsSecret, ReadCoalescer, redactItem, type ItemReader, type ItemsByKey } from '@directus-realtime/shared';

export interface DirectusServices {
	ItemsService: new (collection: string, options: { schema: any; knex?: Knex; accountability?: any }) => {
		readMany(keys: Array<string | number>, query: Record<string, unknown>, opts?: Record<string, unknown>): Promise<Array<Record<string, unknown>>>;
	};
}

/**
 * A reader for one event. It uses the schema Directus hands the event (getSchema() deep-copies
 * the whole schema on every call: that copy once cost more than the rest of publishing), and
 * asks for one only when the event came without.
 */
export function itemsServiceReader(
	services: DirectusServices,
	event: { schema?: unknown; knex?: Knex | undefined },
	getSchema: () => Promise<any>,
): ItemReader {
	return {
		async read(collection, keys, fields) {
			const schema: any = event.schema ?? (await getSchema());
			const knex = event.knex;
			const primary: string | undefined = schema.collections?.[collection]?.primary;
			if (!primary) throw new Error(`collection "${collection}" does not exist`);
			const service = new services.ItemsService(collection, { schema, ...(knex ? { knex } : {}) });
			const rows = await service.readMany(keys, { fields: [...new Set([...fields.filter((f) => !fieldReadsSecret(schema, f)), primary])], limit: -1 }, { emitEvents: false });
			const byKey: ItemsByKey = new Map();
			for (const row of redactItem(schema, collection, rows)) byKey.set(String(row[primary]), row);
			return byKey;
		},
	};
}

/**
 * The reader for each event: inside the event's transaction when it has one (a delete's filter
 * reads before the rows go), otherwise merged with concurrent reads of the same fields.
 */
export function eventReaders(
	services: DirectusServices,
	getSchema: () => Promise<any>,
	coalescer = new ReadCoalescer(),
): (context: { schema: unknown; database?: unknown }) => ItemReader {
	return ({ schema, database }) => {
		const reader = itemsServiceReader(services, { schema, knex: database as Knex | undefined }, getSchema);
		return database ? reader : coalescedReader(coalescer, reader);
	};
}
