/** The part of jsfive (HDF5 reader, no types of its own) that labgrade uses. */
declare module 'jsfive' {
  export class Dataset {
    readonly shape: number[];
    readonly dtype: string;
    readonly value: ArrayLike<number>;
  }
  export class File {
    constructor(buffer: ArrayBuffer, filename?: string);
    readonly keys: string[];
    get(path: string): Dataset | unknown;
  }
}
