import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { readSettings } from './settings.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(<App settings={readSettings(new URLSearchParams(location.search))} />);
