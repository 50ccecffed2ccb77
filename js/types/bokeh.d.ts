// BokehJS as the views use it: loose (most members are `any`; BokehJS's own types are
// large and change between versions) but present, so a misspelt entry point or a model
// used as something it is not is caught.

/** A BokehJS signal (`source.change`, `source.streaming`, ...). */
export interface BokehSignal {
  connect(slot: (...args: any[]) => void, context?: unknown): boolean;
  disconnect(slot: (...args: any[]) => void, context?: unknown): boolean;
  emit(...args: any[]): void;
}

/** One property of a model (`model.properties[name]`). */
export interface BokehProperty {
  get_value(): any;
  change?: BokehSignal;
  [key: string]: any;
}

/** Any BokehJS model: a plot, a glyph renderer, a range, an axis, ... */
export interface BokehModel {
  readonly id: string;
  readonly type: string;
  name?: string | null;
  properties: Record<string, BokehProperty>;
  change: BokehSignal;
  setv(attrs: Record<string, any>, options?: { silent?: boolean }): void;
  [key: string]: any;
}

/** A column of a data source: a plain or a typed array. */
export type BokehColumn = any[] | Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;

/** A ColumnDataSource: `data` maps each column's name to its values (a BokehColumn). */
export interface BokehSource extends BokehModel {
  data: Record<string, any>;
  get_length(): number | null;
  stream(data: Record<string, any>, rollover?: number | null, setter_id?: string): void;
  patch(patches: Record<string, any[]>, setter_id?: string): void;
  streaming: BokehSignal;
  patching: BokehSignal;
}

/** A view of a model in the page (what `embed` returns). */
export interface BokehView {
  readonly model: BokehModel;
  readonly el: HTMLElement;
  request_paint?(...args: any[]): void;
  [key: string]: any;
}

/** A Bokeh document: the models of one embedded figure. */
export interface BokehDocument {
  readonly all_models: Set<BokehModel>;
  get_model_by_name(name: string): BokehModel | null;
  get_model_by_id(id: string): BokehModel | null;
  views_manager?: { query(test: (view: BokehView) => boolean): Iterable<BokehView>; [key: string]: any };
  [key: string]: any;
}

/** The BokehJS library object (`Bokeh`): what ./lib/bokeh.js's `whenBokeh` resolves with. */
export interface BokehLib {
  readonly version: string;
  /** BokehJS's internal modules by name ("document", "core/dom", ...). */
  require(name: string): any;
  embed: {
    add_document_standalone(doc: BokehDocument, element: HTMLElement, roots?: HTMLElement[] | Record<string, HTMLElement>,
      use_for_title?: boolean): Promise<BokehView[]>;
    embed_item(item: object, target_id?: string | HTMLElement): Promise<BokehView[]>;
    [key: string]: any;
  };
  /** Model classes by name (DataRange1d, LogScale, ColumnDataSource, ...). */
  Models: Record<string, any>;
  [key: string]: any;
}

/** An embedded figure (./lib/bokeh.js `embedFigure`): its document and views. */
export interface Embedded {
  doc: BokehDocument;
  views: BokehView[];
}
