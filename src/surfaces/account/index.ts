// Surface `account` (/account/, seed 002): one persistent opaque key per user under the
// `Token` scheme, DRF-shaped errors, routes without trailing slashes, and the preset picture
// catalogue. The seed's spelling /acount/set_picture is served too.
import type { AppContext } from '../../context.js';
import type { Surface } from '../../http/surface.js';
import { mountView } from '../../http/drf-view.js';
import { tokenAuthenticator } from './auth.js';
import { checkDefaultPicture, loadCatalogue } from './catalogue.js';
import { loginView, logoutView } from './login.js';
import { getPicturesView, setPictureView } from './pictures.js';
import { deleteView, profileView } from './profile.js';
import { registerView } from './register.js';
import { NOT_FOUND } from './replies.js';

export const surface: Surface = {
  name: 'account',
  prefixes: ['/account/', '/acount/'],

  async register(app, ctx: AppContext) {
    // First, so a bad ACCOUNT_PICTURES_FILE or ACCOUNT_DEFAULT_PICTURE stops the start
    // before any route exists.
    const catalogue = loadCatalogue(ctx.config.accountPicturesFile);
    checkDefaultPicture(ctx.config.accountDefaultPicture);
    const keys = ctx.accountKeys;
    const auth = tokenAuthenticator(keys);
    mountView(app, ['/account/register'], registerView(ctx), auth);
    mountView(app, ['/account/login'], loginView(ctx, keys), auth);
    mountView(app, ['/account/logout'], logoutView(ctx), auth);
    mountView(app, ['/account/profile'], profileView(), auth);
    mountView(app, ['/account/delete'], deleteView(ctx), auth);
    mountView(app, ['/account/get_pictures'], getPicturesView(catalogue), auth);
    mountView(app, ['/account/set_picture', '/acount/set_picture'], setPictureView(ctx, catalogue), auth);
  },

  // A trailing slash is an unknown path here (§1.1).
  notFound: () => NOT_FOUND,
  failures: {
    tooLarge: { status: 413, body: { detail: 'Request body too large.' } },
    badRequest: { status: 400, body: { detail: 'Bad request.' } },
    internal: { status: 500, body: { detail: 'A server error occurred.' } },
    unavailable: { status: 503, body: { detail: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } },
  },
};
