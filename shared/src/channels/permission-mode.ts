/**
 * Rules of rows in permission mode that belong to the channel itself: the name default
 * publishing fills from an item, and which user fields a presence member may show.
 */

/**
 * The parameters of default publishing's channel name for an item: each parameter from the item
 * field of its name. Null when one is missing (no channel for this item).
 */
export function channelParamsOf(params: readonly string[], item: Record<string, unknown>): Record<string, string> | null {
	const filled: Record<string, string> = {};
	for (const name of params) {
		const value = item[name];
		// A missing value, or a relation read with its children: this item names no channel.
		if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return null;
		filled[name] = String(value);
	}
	return filled;
}

/** Why `field` cannot be a presence_user_fields entry; null when it can. */
export function presenceFieldProblem(field: unknown, secret: (name: string) => boolean): string | null {
	if (typeof field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field)) return 'must be a list of field names of directus_users (letters, digits, _)';
	if (secret(field)) return `"${field}" is a secret of directus_users and is never shown`;
	return null;
}
