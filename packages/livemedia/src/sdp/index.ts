// Barrel of this area: add `export … from` lines for each public file here.
export {};
