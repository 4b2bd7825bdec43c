// Example bodies of the account operations for the OpenAPI document (/docs), taken from the
// recorded run that docs/api/account.md shows; the test suite checks they still have the shape
// and the fixed values of what the server sends.
const KEY = '527c0b6d6d5e39feb102acf066e809f3960189ea';
const CHARACTERS = 'https://www.anime-planet.com/images/characters/';

export const REGISTER_BODY = { username: 'dana', email: 'dana@example.com', password: 'lantern-river-9' };
export const REGISTERED = { success: true, token: KEY };
export const LOGIN_BODY = { username: 'dana', password: 'lantern-river-9' };
export const LOGIN = { token: KEY };
export const DONE = { success: true };
export const PROFILE = {
  success: true,
  data: { id: 1, username: 'dana', email: 'dana@example.com', created: '04-12-2026', picture: 'https://davidnelsoncollins.com/wp-content/uploads/2018/11/profiles-empty1.png' },
};
/** The built-in catalogue. */
export const PICTURES = {
  male: [
    { id: 1, name: 'Ryuzaki', picture: `${CHARACTERS}l-death-note-1337.jpg` },
    { id: 2, name: 'Kakashi', picture: `${CHARACTERS}kakashi-hatake-553.jpg` },
    { id: 3, name: 'Edward', picture: `${CHARACTERS}edward-elric-965.jpg` },
    { id: 4, name: 'Light', picture: `${CHARACTERS}light-yagami-1339.jpg` },
    { id: 5, name: 'Naruto', picture: `${CHARACTERS}naruto-uzumaki-87.jpg` },
  ],
  female: [
    { id: 6, name: 'Mikasa', picture: `${CHARACTERS}mikasa-ackerman-23864.jpg` },
    { id: 7, name: 'Erza', picture: `${CHARACTERS}erza-scarlet-1419.jpg` },
    { id: 8, name: 'Asuna', picture: `${CHARACTERS}asuna-yuuki-30048.jpg` },
    { id: 9, name: 'Hinata', picture: `${CHARACTERS}hinata-hyuuga-626.jpg` },
    { id: 10, name: 'Tenshi', picture: `${CHARACTERS}tenshi-7288.jpg` },
  ],
};
export const SET_PICTURE_BODY = { id: 7 };

export const BAD_CREDENTIALS = { non_field_errors: ['Unable to log in with provided credentials.'] };
export const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
