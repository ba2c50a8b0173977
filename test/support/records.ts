/** What the records endpoints answer, as the hosted-dataset e2e files read it. */
export interface Row {
  _id: string;
  sepal_length: number;
  sepal_width: number;
  petal_length: number;
  petal_width: number;
  species: string;
}
export interface Page<T = Row> {
  items: T[];
  nextCursor: string | null;
  count?: number;
  next?: string | null;
  page?: number;
  nextPage?: number | null;
  facets?: Record<string, { value: string; count: number; selected: boolean; toggleUrl: string }[]>;
}
export interface ColumnStats {
  count?: number;
  mean?: number | null;
  min?: number | null;
  max?: number | null;
  sum?: number;
  stddev?: number | null;
}
export interface Stats {
  groupBy: string | null;
  groups: { value: string | number | boolean | null; count: number; columns: Record<string, ColumnStats> }[];
}
