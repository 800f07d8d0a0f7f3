/**
 * @promptops/view: the `promptops view` server and its JSON API.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ViewApi from "./ViewApi.js"
/** @since 0.1.0 */
export * as ViewServer from "./ViewServer.js"
