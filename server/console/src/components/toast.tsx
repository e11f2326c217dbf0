/** Short confirmations ("Persona saved") and action errors, announced to screen readers. */
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useState } from 'preact/hooks';
import { Icon } from './icons';

interface Toast {
  id: number;
  tone: 'ok' | 'error';
  text: string;
}

const ToastContext = createContext<(text: string, tone?: Toast['tone']) => void>(() => undefined);

export function useToast() {
  return useContext(ToastContext);
}

let counter = 0;

export function ToastHost({ children }: { children: ComponentChildren }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = (id: number) => setToasts((ts) => ts.filter((t) => t.id !== id));
  const show = useCallback((text: string, tone: Toast['tone'] = 'ok') => {
    const id = ++counter;
    setToasts((ts) => [...ts.slice(-3), { id, tone, text }]);
    setTimeout(() => dismiss(id), tone === 'error' ? 9000 : 4000);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div class="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} class={`toast toast-${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>
            <Icon name={t.tone === 'ok' ? 'check' : 'alert'} size={16} />
            <span>{t.text}</span>
            <button class="icon-btn" type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}><Icon name="close" size={14} /></button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
