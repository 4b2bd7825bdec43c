// Answers the account surface gives from more than one place.
import type { GenericReply } from '../../http/surface.js';

export const SUCCESS: GenericReply = { status: 200, body: { success: true } };
