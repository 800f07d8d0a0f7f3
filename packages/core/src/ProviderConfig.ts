/**
 * The building blocks of the adapters' `Config`s (`BraintrustConfig`,
 * `BasaltConfig`, `LocalConfig`): one setting read from one named variable,
 * failing with that exact name as the path, so an app (and `promptops`)
 * can say which variable to set.
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Either, Redacted } from "effect"

/**
 * Fails an empty value as invalid data at `name`. Effect prefixes the path of
 * a failure mapped straight off a primitive but reports none for one mapped
 * off a mapped config (as `Config.redacted` is), so the value is mapped once
 * first and the path is always exactly `name`.
 *
 * @since 0.1.0
 */
export const nonEmpty = <A>(name: string, config: Config.Config<A>, text: (value: A) => string): Config.Config<A> =>
  Config.mapOrFail(Config.map(config, (value) => value), (value) =>
    text(value).trim().length > 0
      ? Either.right(value)
      : Either.left(ConfigError.InvalidData([name], "must not be empty")))

/**
 * The variable `name`, trimmed; unset is `MissingData`, blank is `InvalidData`.
 *
 * @since 0.1.0
 */
export const string = (name: string): Config.Config<string> =>
  Config.map(nonEmpty(name, Config.string(name), (value) => value), (value) => value.trim())

/**
 * The secret in variable `name`; blank is `InvalidData`. Not trimmed here:
 * `ProviderHttp` trims the key it sends.
 *
 * @since 0.1.0
 */
export const secret = (name: string): Config.Config<Redacted.Redacted> =>
  nonEmpty(name, Config.redacted(name), Redacted.value)

/**
 * `config`, or `undefined` when its variable is unset (a set but invalid
 * value still fails).
 *
 * @since 0.1.0
 */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.withDefault(config, undefined)
