// The README's examples, typechecked against dist/ as an app imports the package.
import { provideHttpClient, withInterceptors } from "@angular/common/http";
import { inject, type ApplicationConfig } from "@angular/core";
import { provideRouter, type Routes } from "@angular/router";
import { Preferences } from "@capacitor/preferences";
import {
  AuthClient,
  NetworkError,
  ThrottledError,
  UnauthorizedError,
  ValidationError,
  WebStorage,
  type TokenStorage,
  type User,
} from "@jwtauth/client";
import { authInterceptor, autoLoginGuard, provideAuth, signedInGuard, AuthClient as AngularAuthClient } from "@jwtauth/client/angular";
import { PreferencesStorage, type PreferencesLike } from "@jwtauth/client/capacitor";

const prefs: PreferencesLike = Preferences; // the real plugin fits the interface
const storage: TokenStorage = new PreferencesStorage(prefs);

const routes: Routes = [
  { path: "login", canMatch: [autoLoginGuard], canActivate: [autoLoginGuard], children: [] },
  { path: "tabs", canMatch: [signedInGuard], canActivate: [signedInGuard], canActivateChild: [signedInGuard], children: [] },
];

export const appConfig: ApplicationConfig = {
  providers: [
    provideRouter(routes),
    provideHttpClient(withInterceptors([authInterceptor])),
    provideAuth({
      baseUrl: "https://auth.example.com",
      storage,
      loginUrl: "/login",
      homeUrl: "/tabs",
      shouldAttachToken: (url) => url.startsWith("https://api.example.com"),
    }),
  ],
};

export async function page(): Promise<User> {
  const auth: AuthClient = inject(AngularAuthClient); // one class for both entry points
  const web = new AuthClient({ baseUrl: "http://127.0.0.1:3000", storage: new WebStorage() });
  const off: () => void = web.on("signedOut", ({ reason }) => void reason.toUpperCase());
  off();
  try {
    await auth.login({ email: "a@example.com", password: "secret" });
  } catch (err) {
    if (err instanceof ThrottledError) console.log(err.retryAfter?.toFixed());
    else if (err instanceof UnauthorizedError) console.log(err.detail, err.code);
    else if (err instanceof ValidationError) console.log(err.fields["email"]?.join(), err.nonFieldErrors);
    else if (err instanceof NetworkError) console.log(err.cause);
    else throw err;
  }
  const res: Response = await auth.authFetch("/auth/users/me/", { method: "GET" });
  void res;
  return auth.me();
}
