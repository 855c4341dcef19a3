import express from 'express';

/** Parses a JSON body of at most 1 MiB, whatever content type is declared; mounted after authorization. */
export const jsonBody = express.json({ limit: '1mb', type: () => true });
