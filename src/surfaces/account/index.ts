// Surface `account` (/account/, seed 002): one persistent opaque key per user under the
// `Token` scheme, DRF-shaped errors, routes without trailing slashes, and the preset picture
// catalogue. The seed's spelling /acount/set_picture is served too. Routes are declared in the
// files beside this one and registered by the one route mechanism with the DRF style.
import type { AppContext } from '../../context.js';
import { DRF_NOT_FOUND } from '../../http/drf-style.js';
import { mountRoutes } from '../../http/route.js';
import type { Surface } from '../../http/surface.js';
import { type Catalogue, checkDefaultPicture, loadCatalogue } from './catalogue.js';
import { accountLoginRoutes } from './login.js';
import { accountPictureRoutes } from './pictures.js';
import { accountProfileRoutes } from './profile.js';
import { accountRegisterRoutes } from './register.js';
import { type AccountRoute, accountStyle } from './style.js';

function accountRoutes(ctx: AppContext, catalogue: Catalogue): AccountRoute[] {
  return [...accountRegisterRoutes(ctx), ...accountLoginRoutes(ctx), ...accountProfileRoutes(ctx), ...accountPictureRoutes(ctx, catalogue)];
}

export const surface: Surface = {
  name: 'account',
  prefixes: ['/account/', '/acount/'],
  async register(app, ctx: AppContext) {
    // First, so a bad ACCOUNT_PICTURES_FILE or ACCOUNT_DEFAULT_PICTURE stops the start
    // before any route exists.
    const catalogue = loadCatalogue(ctx.config.accountPicturesFile);
    checkDefaultPicture(ctx.config.accountDefaultPicture);
    mountRoutes(app, ctx, accountStyle, accountRoutes(ctx, catalogue));
  },
  // A trailing slash is an unknown path here (§1.1).
  notFound: () => DRF_NOT_FOUND,
  failures: accountStyle.failures,
};
