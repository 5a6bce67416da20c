// The Angular adapter: the tutorial's interceptor and guards, on top of AuthClient.
// Plain functions and providers (no decorators), so tsc output is all an Angular app needs.
import { HttpErrorResponse, type HttpEvent, type HttpHandlerFn, type HttpInterceptorFn, type HttpRequest } from "@angular/common/http";
import {
  ENVIRONMENT_INITIALIZER,
  EnvironmentInjector,
  InjectionToken,
  NgZone,
  inject,
  makeEnvironmentProviders,
  type EnvironmentProviders,
} from "@angular/core";
import { Router, type CanActivateFn, type CanMatchFn } from "@angular/router";
import { catchError, from, switchMap, throwError, type Observable } from "rxjs";

import { AuthClient, type AuthClientOptions } from "../client.js";

export { AuthClient } from "../client.js";

export interface AuthConfig extends AuthClientOptions {
  /** Use this client instead of creating one from the options (to share it with non-Angular code). */
  client?: AuthClient;
  /** Which requests get the access token; default: those to baseUrl. Never give it to a third party. */
  shouldAttachToken?: (url: string) => boolean;
  /** Where signedInGuard sends a signed-out user, and where a sign-out navigates; default `/login`. */
  loginUrl?: string;
  /** Where autoLoginGuard sends a signed-in user; default `/`. */
  homeUrl?: string;
  /** Navigate to loginUrl when the session ends (the refresh token was refused, logout, ...); default true. */
  navigateOnSignOut?: boolean;
}

interface ResolvedConfig {
  shouldAttachToken: (url: string) => boolean;
  loginUrl: string;
  homeUrl: string;
  navigateOnSignOut: boolean;
}

export const AUTH_CONFIG = new InjectionToken<ResolvedConfig>("@jwtauth/client AUTH_CONFIG");

/**
 * Provides AuthClient (inject it as `inject(AuthClient)`) and, unless turned off, navigates to
 * loginUrl whenever the session ends. Add the interceptor to HttpClient yourself:
 * `provideHttpClient(withInterceptors([authInterceptor]))`.
 */
export function provideAuth(config: AuthConfig): EnvironmentProviders {
  const client = config.client ?? new AuthClient(config);
  const base = client.baseUrl;
  const resolved: ResolvedConfig = {
    shouldAttachToken: config.shouldAttachToken ?? ((url) => url === base || url.startsWith(base + "/")),
    loginUrl: config.loginUrl ?? "/login",
    homeUrl: config.homeUrl ?? "/",
    navigateOnSignOut: config.navigateOnSignOut ?? true,
  };
  return makeEnvironmentProviders([
    { provide: AuthClient, useValue: client },
    { provide: AUTH_CONFIG, useValue: resolved },
    {
      // ENVIRONMENT_INITIALIZER rather than provideEnvironmentInitializer (Angular 19+) to
      // keep Angular 17 and 18 apps supported.
      provide: ENVIRONMENT_INITIALIZER,
      multi: true,
      useValue: () => {
        if (!resolved.navigateOnSignOut) return;
        const injector = inject(EnvironmentInjector);
        const zone = inject(NgZone, { optional: true });
        client.on("signedOut", () => {
          // The Router is looked up only now: creating it during environment initialization
          // would build it before the app's own initializers ran.
          const router = injector.get(Router, null);
          if (!router) return;
          // Sign-outs come from fetch callbacks; run the navigation where Angular sees it.
          const navigate = () => void router.navigateByUrl(resolved.loginUrl);
          if (zone) zone.run(navigate);
          else navigate();
        });
      },
    },
  ]);
}

/**
 * The HttpClient interceptor: adds `Authorization: Bearer <access>` to requests for the API,
 * refreshes shortly before the token expires and on a 401 (one refresh for all concurrent
 * requests, both rotated tokens saved first), retries the request once, and lets the client
 * sign out only when the refresh token is refused. The token endpoints themselves pass
 * through untouched, so a refresh never triggers a refresh.
 */
export const authInterceptor: HttpInterceptorFn = (req: HttpRequest<unknown>, next: HttpHandlerFn): Observable<HttpEvent<unknown>> => {
  const auth = inject(AuthClient);
  const config = inject(AUTH_CONFIG);
  if (!config.shouldAttachToken(req.url) || req.url.startsWith(auth.baseUrl + "/auth/jwt/")) return next(req);
  // A failed proactive refresh sends the request without a token: the server's answer (a
  // 401 the app sees as HttpErrorResponse) is better than an error of another type.
  return from(auth.accessToken().catch(() => null)).pipe(
    switchMap((token) => {
      if (token === null) return next(req);
      return next(withToken(req, token)).pipe(
        catchError((err: unknown) => {
          if (!(err instanceof HttpErrorResponse) || err.status !== 401) return throwError(() => err);
          return from(auth.refreshAfterUnauthorized(token)).pipe(
            // Refused refresh: the client has signed out; the app sees the original 401.
            catchError(() => throwError(() => err)),
            switchMap((fresh) => next(withToken(req, fresh))),
          );
        }),
      );
    }),
  );
};

function withToken(req: HttpRequest<unknown>, token: string): HttpRequest<unknown> {
  return req.clone({ setHeaders: { Authorization: `Bearer ${token}` } });
}

/** Lets a signed-in user through; sends anyone else to loginUrl (the tutorial's AuthGuard). */
export const signedInGuard: CanActivateFn & CanMatchFn = () => {
  const auth = inject(AuthClient);
  const router = inject(Router);
  const config = inject(AUTH_CONFIG);
  return auth.isSignedIn().then((signedIn) => signedIn || router.parseUrl(config.loginUrl));
};

/** Sends a signed-in user straight to homeUrl; lets anyone else see the page (the tutorial's AutoLoginGuard, for the login page). */
export const autoLoginGuard: CanActivateFn & CanMatchFn = () => {
  const auth = inject(AuthClient);
  const router = inject(Router);
  const config = inject(AUTH_CONFIG);
  return auth.isSignedIn().then((signedIn) => (signedIn ? router.parseUrl(config.homeUrl) : true));
};
