import { createContext, useContext } from 'react';
import type { Clients } from './api/clients';
import type { Session } from './api/session';

export interface DashboardContext {
  session: Session;
  clients: Clients;
}

export const Dashboard = createContext<DashboardContext | null>(null);

export function useDashboard(): DashboardContext {
  const ctx = useContext(Dashboard);
  if (!ctx) throw new Error('useDashboard outside a logged-in dashboard');
  return ctx;
}
