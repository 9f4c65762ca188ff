/** The entry point of the bundle (scripts/build-web.mjs): styles, then the App in #app. */
import {render} from 'preact';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import {App} from './app.js';

render(<App />, document.getElementById('app')!);
