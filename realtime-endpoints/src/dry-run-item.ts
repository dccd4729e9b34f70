/**
 * The item a publisher dry-run runs on: read as the publisher reads it (the system's view,
 * the row's fields, no secret at any depth), or null when there is no item with that key.
 */
import { readRowSafely, RealtimeError, type CallerServices, type Item, type SchemaLike } from '@directus-realtime/shared';

const INTEGER_TYPES = new Set(['integer', 'bigInteger']);

export async function itemForDryRun(
	services: CallerServices,
	schema: SchemaLike & { collections: Record<string, any> },
	collection: string,
	key: string | number,
	fields: string[],
): Promise<Item | null> {
	const info = schema.collections[collection];
	const primary: string | undefined = info?.primary;
	if (!primary) return null;
	// A key that cannot be this collection's (text for a number) names no item; the database would refuse it.
	if (INTEGER_TYPES.has(info.fields?.[primary]?.type) && !/^-?\d{1,18}$/.test(String(key))) return null;
	try {
		return (await readRowSafely(new services.ItemsService(collection, { schema }), schema, collection, key, [...fields, primary])) as Item;
	} catch (error) {
		const code = (error as { code?: unknown }).code;
		// Directus answers a missing item as it answers a forbidden one.
		if (code === 'FORBIDDEN') return null;
		if (typeof code === 'string') throw new RealtimeError('INVALID_PAYLOAD', (error as Error).message);
		throw error;
	}
}
