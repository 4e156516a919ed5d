/** The `client_id` of tokens issued to signed-in users themselves (`POST /token`): a public client with no secret. */
export const USER_CLIENT_ID = 'gatehouse';
