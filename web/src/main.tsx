/**
 * @module web/main
 * The dashboard's entry: mounts the app. Styles are imported as files (the server's
 * Content-Security-Policy allows no inline styles or scripts).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App } from './app.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
