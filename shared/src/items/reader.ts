/** Reads items with Directus' ItemsService, as the system (full access, relations resolved). */
import type { Knex } from 'knex';
import type { ItemReader, ItemsByKey } from '../publisher/pipeline.js';

export interface DirectusServices {
	ItemsService: new (collection: string, options: { schema: any; knex?: Knex; accountability?: any }) => {
		readMany(keys: Array<string | number>, query: Record<string, unknown>, opts?: Record<string, unknown>): Promise<Array<Record<string, unknown>>>;
	};
}

export function itemsServiceReader(services: DirectusServices, getSchema: () => Promise<any>, knex?: Knex): ItemReader {
	return {
		async read(collection, keys, fields) {
			const schema = await getSchema();
			const primary: string | undefined = schema.collections?.[collection]?.primary;
			if (!primary) throw new Error(`collection "${collection}" does not exist`);
			const service = new services.ItemsService(collection, { schema, ...(knex ? { knex } : {}) });
			const rows = await service.readMany(keys, { fields: [...new Set([...fields, primary])], limit: -1 }, { emitEvents: false });
			const byKey: ItemsByKey = new Map();
			for (const row of rows) byKey.set(String(row[primary]), row);
			return byKey;
		},
	};
}
