// anywidget's contract with a widget's JS module, as every host (JupyterLab, Notebook 7,
// Voila, marimo, VS Code, Colab, static exports) offers it to bayes_widgets' views.
//
// A widget module's default export is a `Widget<Traits>`, where `Traits` is a JSDoc
// @typedef of the model's synced traits (see js/README.md); `model.get("name")` then has
// the trait's type, and a name the typedef lacks is an error.

/** The traits every bayes_widgets widget has (widgets/_base.py: BayesWidget). */
export interface BaseTraits {
  /** Message shown inline in the widget; empty when all is well. */
  error: string;
  /** The Python package's version; the view warns when its build differs. */
  _py_version: string;
}

/** The traits of an InputWidget (widgets/_base.py): the last input the kernel applied. */
export interface InputTraits extends BaseTraits {
  applied: { seq: number; n: number };
}

/** Binary buffers of a custom message: DataViews in Jupyter hosts, other views elsewhere. */
export type Buffers = ReadonlyArray<ArrayBuffer | ArrayBufferView>;

/** A custom message from the kernel (`widget.send(content, buffers)` in Python). */
export type CustomMessageHandler = (msg: any, buffers: Buffers) => void;

/**
 * The model a view gets. Event names are one name each: "change:<trait>" or "msg:custom"
 * (several space-separated names work only in Backbone hosts: use ./lib/events.js).
 */
export interface AnyModel<T extends object = Record<string, any>> {
  get<K extends keyof T & string>(key: K): T[K];
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  /** Sends the traits set since the last call to the kernel. */
  save_changes(): void;
  on(eventName: "msg:custom", callback: CustomMessageHandler): void;
  on(eventName: string, callback: (...args: any[]) => void): void;
  off(eventName?: string | null, callback?: ((...args: any[]) => void) | null): void;
  /** A custom message to the kernel (the widget's `on_msg` handlers get it). */
  send(content: any, callbacks?: any, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** What `render` gets: the model and the element to draw into. */
export interface RenderProps<T extends object = Record<string, any>> {
  model: AnyModel<T>;
  el: HTMLElement;
  /** Aborted when the view is removed (newer anywidget hosts only). */
  signal?: AbortSignal;
}

/** What `initialize` gets: the model, once per model, before any view. */
export interface InitializeProps<T extends object = Record<string, any>> {
  model: AnyModel<T>;
  signal?: AbortSignal;
}

type Awaitable<V> = V | Promise<V>;
/** A clean-up function a host calls when the view (or model) goes away. */
export type Cleanup = () => Awaitable<void>;

/** A widget module's default export. */
export interface Widget<T extends object = Record<string, any>> {
  initialize?(props: InitializeProps<T>): Awaitable<void | Cleanup>;
  render?(props: RenderProps<T>): Awaitable<void | Cleanup>;
}
