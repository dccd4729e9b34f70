/** The scripts a new channel row starts with in the Data Studio's code editor. */
export const AUTHORIZER_TEMPLATE = `// Decides who may subscribe to a private or presence channel matching this row.
// Available: socket_id, channel_name, params (from the pattern), auth (user, role, roles,
// admin, app, ip, userAgent, permissions), await can(action, collection, id?),
// await query(collection, query). Return true to allow a private channel; for a presence
// channel return { user_id, user_info }. Anything else refuses.

// Private channel: only the user named in the channel may join.
if (auth.user && auth.user.id === params.userId) {
	return true;
}

// Presence channel:
// return { user_id: auth.user.id, user_info: { name: auth.user.first_name } };

return false;
`;

export const PUBLISHER_TEMPLATE = `// Decides what is pushed, and where, when an item of this row's collection changes.
// Available: collection, action ('create' | 'update' | 'delete'), meta.payload (the item read
// with this row's fields; for a delete, as it was before), meta.key, meta.keys, meta.changed,
// meta.user, meta.socket_id, trigger(channelParams, event, payload, exclude?),
// broadcastTo(channelPattern, channelParams, event, payload, exclude?),
// sendToUser(userId, event, payload).
// You decide what is shared with subscribers: send only the fields they may see.

trigger({ userId: meta.payload.user_created }, action, meta.payload, meta.socket_id);
`;
